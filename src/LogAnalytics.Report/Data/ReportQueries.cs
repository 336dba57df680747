using System.Globalization;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using LogAnalytics.Experiments;
using LogAnalytics.Storage;

namespace LogAnalytics.Report.Data;

/// <summary>Reads <see cref="ExperimentReportData"/> with the embedded queries in sql/report (the DuckDB adapter of the
/// report: every aggregation is SQL analysts can run on the same file).</summary>
internal sealed partial class ReportQueries(DuckDBConnection connection)
{
    /// <summary>Error classes stacked in the error plot, in drawing order, and the column each is read from.</summary>
    public static readonly IReadOnlyList<(string Class, string Column)> ErrorClasses =
    [
        ("server", "server_rate"), ("rate_limit", "rate_limit_rate"), ("timeout_transport", "timeout_transport_rate"),
        ("auth", "auth_rate"), ("bad_request", "bad_request_rate"), ("other", "other_error_rate"),
    ];

    /// <summary>Bucket widths the report chooses from (seconds): the smallest that gives at most 48 buckets.</summary>
    private static readonly double[] BucketWidths = [10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400];

    public ExperimentReportData Read(ExperimentDefinition experiment, DateTimeOffset from, DateTimeOffset to)
    {
        var p = new Dictionary<string, object?>
        {
            ["experiment"] = experiment.Id,
            ["from"] = from,
            ["to"] = to,
            ["baseline_endpoint"] = experiment.BaselineEndpoint,
            ["canary_endpoint"] = experiment.CanaryEndpoint,
        };
        var span = Rows("time_span", p, r => (First: Time(r, 0), Last: Time(r, 1))).Single();
        var bucket = ChooseBucket(span.First, span.Last);
        p["bucket_seconds"] = bucket;
        return new ExperimentReportData(
            experiment.Id,
            bucket,
            Rows("endpoints", p, r => new SideEndpoint(r.GetString(0), r.GetString(1), r.GetInt64(2), Time(r, 3)!.Value, Time(r, 4)!.Value)),
            Rows("latency_cdf", p, r => new CdfPoint(r.GetString(0), r.GetDouble(1), r.GetDouble(2))),
            Rows("latency_over_time", p, r => new LatencyBucket(r.GetString(0), r.GetDouble(1), r.GetInt64(2),
                new Percentile(r.GetDouble(3), r.GetDouble(4), r.GetDouble(5)),
                new Percentile(r.GetDouble(6), r.GetDouble(7), r.GetDouble(8)),
                new Percentile(r.GetDouble(9), r.GetDouble(10), r.GetDouble(11)))),
            Rows("errors_over_time", p, r => new ErrorBucket(r.GetString(0), r.GetDouble(1), r.GetInt64(2), r.GetDouble(3),
                ErrorClasses.ToDictionary(c => c.Class, c => r.GetDouble(r.GetOrdinal(c.Column))))),
            Rows("cost_by_side_model", p, r => new CostRow(r.GetString(0), NullableString(r, 1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4),
                r.GetInt64(5), NullableDouble(r, 6), NullableDouble(r, 7), NullableDouble(r, 8), NullableDouble(r, 9), NullableDouble(r, 10))),
            Rows("model_breakdown", p, r => new ModelRow(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4),
                r.GetDouble(5), NullableDouble(r, 6))),
            Rows("validation_over_time", p, r => new ValidationBucket(r.GetDouble(0), r.GetInt64(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4))),
            Rows("similarity_histogram", p, r => new SimilarityBin(r.GetDouble(0), r.GetInt64(1))),
            Rows("verdict_timeline", p, r => new TimelinePoint(Time(r, 0)!.Value, r.GetString(1), NullableDouble(r, 2), NullableString(r, 3))));
    }

    /// <summary>The smallest width in <see cref="BucketWidths"/> that cuts the span into at most 48 buckets.</summary>
    internal static double ChooseBucket(DateTimeOffset? first, DateTimeOffset? last)
    {
        var span = first is { } f && last is { } l ? (l - f).TotalSeconds : 0;
        return BucketWidths.FirstOrDefault(w => span / w <= 48, BucketWidths[^1]);
    }

    /// <summary>Runs sql/report/<paramref name="name"/>.sql with the parameters it names.</summary>
    internal List<T> Rows<T>(string name, IReadOnlyDictionary<string, object?> parameters, Func<DuckDBDataReader, T> read)
    {
        var sql = SqlScripts.Load($"report/{name}.sql");
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var used in ParameterName().Matches(sql).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal))
        {
            if (!parameters.TryGetValue(used, out var value))
            {
                throw new InvalidOperationException($"sql/report/{name}.sql uses ${used}, which the report does not pass");
            }
            cmd.Parameters.Add(new DuckDBParameter(used, value ?? DBNull.Value));
        }
        using var reader = (DuckDBDataReader)cmd.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    private static DateTimeOffset? Time(DuckDBDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private static double? NullableDouble(DuckDBDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i), CultureInfo.InvariantCulture);

    private static string? NullableString(DuckDBDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    // $name outside of strings; the SQL files use no '$' in literals except JSON paths ('$.reasons[0]'), which this skips.
    [GeneratedRegex(@"(?<!')\$([a-z_][a-z0-9_]*)")]
    private static partial Regex ParameterName();
}
