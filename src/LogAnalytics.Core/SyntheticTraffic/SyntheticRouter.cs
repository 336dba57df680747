using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.SyntheticTraffic;

/// <summary>
/// A seeded generator of router traffic logs shaped like the real router's: JSON request events for a baseline and a
/// canary endpoint, split by consistent hashing (<c>hash_bucket = FNV-1a(request_id) % 100</c>, canary when
/// <c>hash_bucket &lt; weight</c>), with lognormal latencies and a Pareto tail, 5xx / 429 / timeout / transport
/// errors, models with token counts and cost, and a couple of fields the event contract does not name.
/// </summary>
/// <remarks>
/// Pure: it reads no clock and does no I/O (except <see cref="WriteNdjson"/> into the stream it is given). Equal
/// <see cref="SyntheticRouterOptions"/> give byte-identical messages. Not thread-safe; one instance per producer.
/// </remarks>
public sealed class SyntheticRouter
{
    private static readonly string[] Regions = ["eu-west-1", "us-east-1", "ap-southeast-1"];

    private static readonly ModelMix[] Models =
    [
        new("gpt-4o-mini", 0.50, 350, 180, 1.0),
        new("gpt-4o", 0.20, 600, 250, 8.0),
        new("claude-3-5-sonnet", 0.15, 800, 300, 10.0),
        new("llama-3.1-70b-instruct", 0.15, 400, 200, 1.5),
    ];

    private readonly SyntheticRouterOptions _options;
    private readonly TrafficScenario _scenario;
    private readonly Random _random;
    private readonly Random _faults;
    private readonly Random _shadow;
    private (byte[] Key, byte[] Value)? _pendingValidation;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;
    private readonly byte[] _experiment;
    private long _sequence;

    /// <summary>Creates a router.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate, fraction, weight or profile value is out of range.</exception>
    public SyntheticRouter(SyntheticRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Scenario.Validate();
        if (!(options.EventsPerSecond > 0) || double.IsInfinity(options.EventsPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EventsPerSecond, "EventsPerSecond must be a finite number > 0");
        }
        if (!(options.MalformedFraction >= 0 && options.MalformedFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MalformedFraction, "MalformedFraction must be within 0..1");
        }
        _options = options;
        _scenario = options.Scenario;
        _random = new Random(options.Seed);
        // A separate stream for fault injection, so injecting faults does not change the requests underneath.
        _faults = new Random(unchecked(options.Seed * 31 + 0x5EED));
        // And one for shadow validation, so enabling it does not change the requests either.
        _shadow = new Random(unchecked(options.Seed * 17 + 0x5AD0));
        _writer = new Utf8JsonWriter(_buffer);
        _experiment = Encoding.UTF8.GetBytes(_scenario.Experiment);
    }

    /// <summary>How many messages were generated so far (the <see cref="SyntheticMessage.Sequence"/> of the next one).</summary>
    public long Generated => _sequence;

    /// <summary>The consistent-hash bucket (0..99) of a request id: FNV-1a 32 of its UTF-8 bytes, modulo 100.</summary>
    public static int HashBucket(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(requestId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }
        return (int)(hash % 100);
    }

    /// <summary>Generates the next message.</summary>
    public SyntheticMessage Next()
    {
        var sequence = _sequence++;
        var timestamp = _options.Start.AddTicks((long)Math.Round(sequence * (TimeSpan.TicksPerSecond / _options.EventsPerSecond)));
        if (sequence == 0 && _options.AnnounceStage)
        {
            return new SyntheticMessage(sequence, timestamp, _experiment, WriteStage(timestamp), SyntheticMessageKind.Stage, null);
        }

        if (_pendingValidation is { } pending)
        {
            _pendingValidation = null;
            return new SyntheticMessage(sequence, timestamp, pending.Key, pending.Value, SyntheticMessageKind.Validation, null);
        }

        var request = DrawRequest(timestamp);
        var profile = request.Canary ? _scenario.Canary : _scenario.Baseline;
        if (request.Status == 200 && profile.ShadowValidationRate > 0 && _shadow.NextDouble() < profile.ShadowValidationRate)
        {
            _pendingValidation = (Encoding.UTF8.GetBytes(request.RequestId), WriteValidation(request, profile));
        }
        var corruption = _options.MalformedFraction > 0 && _faults.NextDouble() < _options.MalformedFraction
            ? (Corruption)(1 + _faults.Next(5))
            : Corruption.None;
        var value = corruption switch
        {
            Corruption.NotAnObject => "[\"not\",\"an\",\"object\"]"u8.ToArray(),
            Corruption.PlainText => Encoding.UTF8.GetBytes($"WARN {FormatTimestamp(request.Timestamp)} {request.Endpoint} status={request.Status} (a plain-text log line)"),
            Corruption.Truncated => Truncate(WriteRequest(request, Corruption.None)),
            _ => WriteRequest(request, corruption),
        };
        var variant = request.Canary ? Variants.Canary : Variants.Baseline;
        return new SyntheticMessage(sequence, timestamp, Encoding.UTF8.GetBytes(request.RequestId), value,
            corruption == Corruption.None ? SyntheticMessageKind.Request : SyntheticMessageKind.Malformed, variant);
    }

    /// <summary>Generates the next <paramref name="count"/> messages.</summary>
    public IEnumerable<SyntheticMessage> Take(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return Next();
        }
    }

    /// <summary>Writes the next <paramref name="count"/> messages to <paramref name="destination"/> as NDJSON
    /// (one message per line, LF).</summary>
    /// <returns>Bytes written.</returns>
    public long WriteNdjson(Stream destination, long count)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long bytes = 0;
        for (long i = 0; i < count; i++)
        {
            var value = Next().Value;
            destination.Write(value);
            destination.WriteByte((byte)'\n');
            bytes += value.Length + 1;
        }
        return bytes;
    }

    private Request DrawRequest(DateTimeOffset timestamp)
    {
        var requestId = string.Create(CultureInfo.InvariantCulture, $"req_{_random.NextInt64():x16}");
        var bucket = HashBucket(requestId);
        var canary = bucket < _scenario.EffectiveWeightPercent;
        var profile = canary ? _scenario.Canary : _scenario.Baseline;
        var model = PickModel();
        var stream = _random.NextDouble() < 0.7;
        var region = Regions[_random.Next(Regions.Length)];

        var outcome = _random.NextDouble();
        int status;
        string? errorType = null;
        double latency;
        if (outcome < profile.ServerErrorRate)
        {
            status = _random.NextDouble() switch { < 0.5 => 500, < 0.8 => 503, _ => 502 };
            errorType = "server_error";
            latency = Latency(profile);
        }
        else if (outcome < profile.ServerErrorRate + profile.RateLimitRate)
        {
            status = 429;
            errorType = "rate_limit";
            latency = LogNormal(40, 0.5);
        }
        else if (outcome < profile.TotalErrorRate)
        {
            if (_random.NextDouble() < 0.5)
            {
                status = 504;
                errorType = "timeout";
                latency = Math.Min(profile.MaxLatencyMs, 30_000) + _random.NextDouble() * 50;
            }
            else
            {
                status = 0;
                errorType = "transport";
                latency = LogNormal(150, 0.8);
            }
        }
        else
        {
            status = 200;
            latency = Latency(profile);
        }

        var success = status == 200;
        var promptTokens = Math.Max(1, (long)Math.Round(LogNormal(model.PromptMedian, 0.7)));
        var completionTokens = success ? Math.Max(1, (long)Math.Round(LogNormal(model.CompletionMedian, 0.6) * profile.CompletionTokenFactor)) : 0;
        var cost = success
            ? model.PriceFactor * (promptTokens * profile.CostPerPromptTokenUsd + completionTokens * profile.CostPerCompletionTokenUsd)
            : 0;
        double? ttft = success && stream ? latency * (0.1 + 0.25 * _random.NextDouble()) : null;
        var retries = success
            ? _random.NextDouble() switch { < 0.97 => 0, < 0.995 => 1, _ => 2 }
            : _random.Next(4);

        return new Request(timestamp, requestId, bucket, canary, profile.Name, model.Name, status, latency, ttft, stream,
            promptTokens, completionTokens, cost, errorType, retries, region);
    }

    private ModelMix PickModel()
    {
        var u = _random.NextDouble();
        foreach (var m in Models)
        {
            if (u < m.Share)
            {
                return m;
            }
            u -= m.Share;
        }
        return Models[^1];
    }

    /// <summary>A latency from the profile: lognormal body, or a Pareto tail with probability TailProbability.</summary>
    private double Latency(EndpointProfile profile)
    {
        var value = _random.NextDouble() < profile.TailProbability
            ? profile.TailScaleMs * Math.Pow(1 - _random.NextDouble(), -1 / profile.TailShape)
            : LogNormal(profile.MedianLatencyMs, profile.LatencySigma);
        return Math.Min(value, profile.MaxLatencyMs);
    }

    private double LogNormal(double median, double sigma) => median * Math.Exp(sigma * StandardNormal());

    /// <summary>Box-Muller; one draw per call keeps the stream simple to reason about.</summary>
    private double StandardNormal()
    {
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private byte[] WriteStage(DateTimeOffset timestamp)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("kind", "stage");
        _writer.WriteString("timestamp", FormatTimestamp(timestamp));
        _writer.WriteString("experiment", _scenario.Experiment);
        _writer.WriteNumber("weight_percent", _scenario.WeightPercent);
        _writer.WriteString("baseline", _scenario.Baseline.Name);
        _writer.WriteString("canary", _scenario.Canary.Name);
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    private byte[] WriteRequest(in Request r, Corruption corruption)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        var w = _writer;
        w.WriteStartObject();
        w.WriteString("timestamp", FormatTimestamp(r.Timestamp));
        w.WriteString("experiment", _scenario.Experiment);
        w.WriteString("endpoint", r.Endpoint);
        w.WriteString("variant", r.Canary ? Variants.Canary : Variants.Baseline);
        w.WriteString("request_id", r.RequestId);
        w.WriteNumber("hash_bucket", r.Bucket);
        w.WriteString("model", r.Model);
        w.WriteNumber("status_code", r.Status);
        switch (corruption)
        {
            case Corruption.MissingLatency:
                break;
            case Corruption.NegativeLatency:
                w.WriteNumber("latency_ms", -Math.Round(r.LatencyMs, 1) - 1);
                break;
            default:
                w.WriteNumber("latency_ms", Math.Round(r.LatencyMs, 1));
                break;
        }
        if (r.TtftMs is { } ttft)
        {
            w.WriteNumber("ttft_ms", Math.Round(ttft, 1));
        }
        else
        {
            w.WriteNull("ttft_ms");
        }
        w.WriteBoolean("stream", r.Stream);
        w.WriteNumber("prompt_tokens", r.PromptTokens);
        w.WriteNumber("completion_tokens", r.CompletionTokens);
        w.WriteNumber("total_tokens", r.PromptTokens + r.CompletionTokens);
        w.WriteNumber("cost_usd", Math.Round(r.CostUsd, 8));
        w.WriteNumber("retry_count", r.Retries);
        if (r.ErrorType is null)
        {
            w.WriteNull("error_type");
        }
        else
        {
            w.WriteString("error_type", r.ErrorType);
            WriteError(w, r);
        }
        // Fields the contract does not name: the decoder keeps them in `attributes`.
        w.WriteString("region", r.Region);
        w.WriteString("router_version", "2.14.3");
        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    /// <summary>A shadow comparison of a canary (or baseline) answer with the other provider's: a match, or a different
    /// answer (content differs, similarity 0.2..0.7, finish reason differs half the time).</summary>
    private byte[] WriteValidation(in Request r, EndpointProfile profile)
    {
        var matched = _shadow.NextDouble() < profile.AnswerMatchRate;
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        var w = _writer;
        w.WriteStartObject();
        w.WriteString("kind", "validation");
        w.WriteString("timestamp", FormatTimestamp(r.Timestamp));
        w.WriteString("experiment", _scenario.Experiment);
        w.WriteString("request_id", r.RequestId);
        w.WriteString("endpoint", r.Endpoint);
        w.WriteBoolean("content_match", matched);
        w.WriteBoolean("finish_reason_match", matched || _shadow.NextDouble() < 0.5);
        w.WriteBoolean("tokens_match", matched);
        w.WriteBoolean("model_field_match", true);
        w.WriteNumber("similarity", Math.Round(matched ? 0.93 + 0.07 * _shadow.NextDouble() : 0.2 + 0.5 * _shadow.NextDouble(), 4));
        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    private static void WriteError(Utf8JsonWriter w, in Request r)
    {
        switch (r.ErrorType)
        {
            case "server_error":
                // Some routers log the upstream's error body as an object; the decoder keeps it as raw JSON.
                w.WriteStartObject("error");
                w.WriteNumber("upstream_status", r.Status);
                w.WriteString("message", "upstream returned an error");
                w.WriteEndObject();
                break;
            case "rate_limit":
                // The upstream's Retry-After (1..30 s), derived from the bucket so it draws nothing from the random stream.
                var retryAfterSeconds = r.Bucket * 7 % 30 + 1;
                w.WriteString("error", $"rate limit exceeded; retry after {retryAfterSeconds}s");
                w.WriteNumber("retry_after_ms", retryAfterSeconds * 1000);
                break;
            case "timeout":
                w.WriteString("error", "upstream did not answer within 30000 ms");
                break;
            default:
                w.WriteString("error", "connection reset by peer");
                break;
        }
    }

    private static byte[] Truncate(byte[] json) => json.AsSpan(0, json.Length / 2).ToArray();

    private static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private enum Corruption
    {
        None,
        Truncated,
        NotAnObject,
        MissingLatency,
        NegativeLatency,
        PlainText,
    }

    private readonly record struct ModelMix(string Name, double Share, double PromptMedian, double CompletionMedian, double PriceFactor);

    private readonly record struct Request(
        DateTimeOffset Timestamp, string RequestId, int Bucket, bool Canary, string Endpoint, string Model, int Status,
        double LatencyMs, double? TtftMs, bool Stream, long PromptTokens, long CompletionTokens, double CostUsd,
        string? ErrorType, int Retries, string Region);
}
