using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Kpis;
using LogAnalytics.Storage;

namespace LogAnalytics.Tests.Kpis;

/// <summary>Shadow-validation events from DuckDB: what the sample reader counts for the canary, and the analysts' query.</summary>
public sealed class ValidationFromEventsTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DuckDbEventStore _store = DuckDbEventStore.Open(":memory:");
    private long _offset;

    public void Dispose() => _store.Dispose();

    private void Store(IEnumerable<TrafficEvent> events)
    {
        var batch = new IngestBatch();
        foreach (var e in events)
        {
            batch.Add(new SourcePosition("t", 0, _offset++), DecodeResult.Accept(e), null, null, Start);
        }
        _store.Write(batch);
    }

    private static ValidationEvent Validation(int i, bool match, string? endpoint = "holy_sheep", double? similarity = null, DateTimeOffset? ts = null) => new()
    {
        Timestamp = ts ?? Start.AddSeconds(i), Experiment = "migration", RequestId = $"r{i}", Endpoint = endpoint,
        ContentMatch = match, FinishReasonMatch = true, TokensMatch = match ? true : null, ModelFieldMatch = true, Similarity = similarity,
    };

    [Fact]
    public void The_reader_counts_the_canarys_validations_in_the_window_only()
    {
        var events = new List<TrafficEvent>
        {
            new RequestEvent { Timestamp = Start, Experiment = "migration", Endpoint = "holy_sheep", LatencyMs = 1, StatusCode = 200 },
        };
        events.AddRange(Enumerable.Range(0, 100).Select(i => Validation(i, match: i >= 3, similarity: i >= 3 ? 0.95 : 0.30)));
        events.Add(Validation(500, match: false, endpoint: "legacy"));                       // the baseline compared: not the canary's
        events.Add(Validation(501, match: false, ts: Start.AddDays(2)));                     // after the as-of time
        events.Add(Validation(502, match: false) with { Experiment = "other" });             // another experiment
        events.Add(Validation(503, match: true, endpoint: null));                            // unnamed endpoint: counted
        Store(events);

        var experiment = ExperimentCatalog.Defaults("migration") with { BaselineEndpoint = "legacy", CanaryEndpoint = "holy_sheep" };
        var sample = new ExperimentSampleReader(_store.Connection).Read(experiment, Start.AddDays(1)).Validation;

        Assert.Equal(101, sample.Events);
        Assert.Equal(98, sample.Matches);
        Assert.Equal(new CheckTally(101, 98), sample.ByCheck[ValidationChecks.ContentMatch]);
        Assert.Equal(new CheckTally(98, 98), sample.ByCheck[ValidationChecks.TokensMatch]);
        Assert.Equal(100, sample.Similarities.Length);
        Assert.Equal(0.30, sample.Similarities[0]);
    }

    [Fact]
    public void The_analyst_query_gives_match_rates_and_the_wilson_lower_bound()
    {
        Store(Enumerable.Range(0, 1000).Select(i => Validation(i, match: i < 912, similarity: i < 912 ? 0.97 : 0.40)));
        using var cmd = _store.Connection.CreateCommand();
        cmd.CommandText = SqlScripts.Load("queries/validation_by_endpoint.sql");
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read());
        double Get(string column) => reader.GetDouble(reader.GetOrdinal(column));
        Assert.Equal("holy_sheep", reader.GetString(reader.GetOrdinal("endpoint")));
        Assert.Equal(1000, reader.GetInt64(reader.GetOrdinal("events")));
        Assert.Equal(0.912, Get("match_rate"));
        // statsmodels proportion_confint(912, 1000, alpha=0.05, method="wilson")[0] = 0.8928277489502235 (rounded to 4 places)
        Assert.Equal(0.8928, Get("match_rate_wilson_low"));
        Assert.Equal(1.0, Get("finish_reason_match_rate"));
        // mean = (912 x 0.97 + 88 x 0.40) / 1000 = 0.91984; p5 (type 7) at 0.05 x 999 = 49.95 -> 0.40
        Assert.Equal(0.9198, Get("similarity_mean"));
        Assert.Equal(0.40, Get("similarity_p5"));
        Assert.False(reader.Read());
    }
}
