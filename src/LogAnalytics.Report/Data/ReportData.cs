namespace LogAnalytics.Report.Data;

/// <summary>The two sides of an experiment, as the report names them.</summary>
internal static class Sides
{
    public const string Baseline = "baseline";
    public const string Canary = "canary";
    public static readonly IReadOnlyList<string> Both = [Baseline, Canary];
}

/// <summary>An endpoint on a side, with its requests in the report's range.</summary>
internal sealed record SideEndpoint(string Side, string Endpoint, long Requests, DateTimeOffset FirstAt, DateTimeOffset LastAt);

/// <summary>A point of a side's empirical latency CDF: the share of its requests at or below <paramref name="LatencyMs"/>.</summary>
internal sealed record CdfPoint(string Side, double LatencyMs, double CumulativeShare);

/// <summary>A percentile with its 95 % distribution-free interval, in ms.</summary>
internal readonly record struct Percentile(double Value, double Low, double High);

/// <summary>One side's latency percentiles in one time bucket (<paramref name="BucketStart"/> in epoch seconds).</summary>
internal sealed record LatencyBucket(string Side, double BucketStart, long Requests, Percentile P50, Percentile P95, Percentile P99);

/// <summary>One side's error rate in one time bucket, by class (shares of the bucket's requests).</summary>
internal sealed record ErrorBucket(string Side, double BucketStart, long Requests, double ErrorRate, IReadOnlyDictionary<string, double> ByClass);

/// <summary>Cost of a side (<paramref name="Model"/> null) or of a model on a side.</summary>
internal sealed record CostRow(string Side, string? Model, long Requests, long Priced, long Unpriced, long CostedFromData,
    double? CostPerRequestUsd, double? CostPer1kRequestsUsd, double? TokensPerRequest, double? CostUsd, double? MonthlyUsdAtThisVolume);

/// <summary>One row of the per-model breakdown table.</summary>
internal sealed record ModelRow(string Side, string Model, long Requests, double P50Ms, double P99Ms, double ErrorRate, double? CostPerRequestUsd);

/// <summary>The canary's shadow-validation match rate in one time bucket, with its Wilson 95 % lower bound.</summary>
internal sealed record ValidationBucket(double BucketStart, long Events, long Matches, double MatchRate, double WilsonLow);

/// <summary>Similarity scores in [<paramref name="BinStart"/>, BinStart + 0.05).</summary>
internal sealed record SimilarityBin(double BinStart, long Events);

/// <summary>A stored verdict: one point of the verdict timeline.</summary>
internal sealed record TimelinePoint(DateTimeOffset EvaluatedAt, string Decision, double? Stage, string? FirstReason);

/// <summary>Everything the report draws for one experiment, read with the queries in sql/report.</summary>
internal sealed record ExperimentReportData(
    string Experiment,
    double BucketSeconds,
    IReadOnlyList<SideEndpoint> Endpoints,
    IReadOnlyList<CdfPoint> LatencyCdf,
    IReadOnlyList<LatencyBucket> LatencyOverTime,
    IReadOnlyList<ErrorBucket> ErrorsOverTime,
    IReadOnlyList<CostRow> Costs,
    IReadOnlyList<ModelRow> Models,
    IReadOnlyList<ValidationBucket> ValidationOverTime,
    IReadOnlyList<SimilarityBin> Similarity,
    IReadOnlyList<TimelinePoint> Timeline)
{
    /// <summary>Requests on a side.</summary>
    public long Requests(string side) => Endpoints.Where(e => e.Side == side).Sum(e => e.Requests);

    /// <summary>The endpoints of a side, most requests first.</summary>
    public IReadOnlyList<string> EndpointNames(string side) => Endpoints.Where(e => e.Side == side).Select(e => e.Endpoint).ToList();
}
