using System.Globalization;

namespace LogAnalytics.IntegrationTests.Support;

/// <summary>Router-like messages for the integration tests: valid events with a unique request id, and about 1 % bad ones
/// of every kind.</summary>
public static class TrafficMessages
{
    private static readonly string[] BadForms =
    [
        "this is not json",
        "[1,2,3]",
        "{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"legacy\",\"status_code\":200}",
        "{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"legacy\",\"latency_ms\":-5,\"status_code\":200}",
        "{\"timestamp\":\"1970-01-02T00:00:00Z\",\"endpoint\":\"legacy\",\"latency_ms\":5,\"status_code\":200}",
        "{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"legacy\",\"latency_ms\":5,\"status_code\":200",
        "",
    ];

    /// <summary>Message <paramref name="i"/> of a run: bad when <c>i % 100 == 42</c>.</summary>
    public static (string Key, string Value, bool Bad) Message(string run, int i)
    {
        var key = $"{run}-{i}";
        if (i % 100 == 42)
        {
            return (key, BadForms[i / 100 % BadForms.Length], true);
        }
        var ts = new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero).AddMilliseconds(i * 10);
        var endpoint = i % 20 == 0 ? "holy_sheep" : "legacy";
        var status = i % 97 == 0 ? 504 : i % 89 == 0 ? 0 : 200;
        var latency = (100 + i % 900 + 0.25).ToString(CultureInfo.InvariantCulture);
        var json = i % 2 == 0
            ? $"{{\"timestamp\":\"{ts:O}\",\"endpoint\":\"{endpoint}\",\"latency_ms\":{latency},\"status_code\":{status},\"request_id\":\"{key}\",\"model\":\"gpt-4.1\",\"prompt_tokens\":{i % 500},\"router\":\"itest\"}}"
            : $"{{\"timestamp\":{ts.ToUnixTimeMilliseconds()},\"endpoint\":\"{endpoint}\",\"latencyMs\":{latency},\"statusCode\":{status},\"requestId\":\"{key}\"}}";
        return (key, json, false);
    }

    /// <summary>The latency a valid message carries.</summary>
    public static double Latency(int i) => 100 + i % 900 + 0.25;
}
