using System.Globalization;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage;
using LogAnalytics.Tests.Kpis.Pricing;
using LogAnalytics.Verdicts;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Kpis;

/// <summary>Cost figures reproduced from stored events, through DuckDB, the sample reader and the evaluator; and the
/// analysts' view requests_costed pricing every request exactly as the engine does.</summary>
public sealed class CostFromEventsTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DuckDbEventStore _store = DuckDbEventStore.Open(":memory:");
    private readonly PriceBook _book = PriceBook.Parse(File.ReadAllText(PriceBookTests.ExampleBookPath()), "config/pricing.json");
    private long _offset;

    public void Dispose() => _store.Dispose();

    private void Store(IEnumerable<RequestEvent> events)
    {
        var batch = new IngestBatch();
        foreach (var e in events)
        {
            batch.Add(new SourcePosition("t", 0, _offset++), DecodeResult.Accept(e), null, null, Start);
        }
        _store.Write(batch);
    }

    private static RequestEvent Request(DateTimeOffset ts, string endpoint, string? model, long? input, long? output, long? total = null, double? cost = null, int status = 200) => new()
    {
        Timestamp = ts, Endpoint = endpoint, LatencyMs = 500, StatusCode = status, Experiment = "migration", Model = model,
        PromptTokens = input, CompletionTokens = output, TotalTokens = total, CostUsd = cost,
    };

    [Fact]
    public void A_4200_dollar_month_becomes_680_when_all_traffic_moves_to_the_canary()
    {
        // 10,000 requests in 3 days (100,000 a month), 5 % on the canary.
        // Baseline: GPT-4.1 ($2 in / $8 out per million), 1,000 in + 4,900 or 5,100 out: $0.042 a request on average.
        // Canary: Gemini 2.5 Flash ($0.30 / $2.50), 1,000 in + 2,500 or 2,700 out: $0.0068 a request on average.
        // All on the baseline: 100,000 x $0.042 = $4,200; all on the canary: 100,000 x $0.0068 = $680.
        const int total = 10_000;
        var step = TimeSpan.FromDays(3) / total;
        var events = new List<RequestEvent>();
        var (baselineSeen, canarySeen) = (0, 0);
        for (var i = 0; i < total; i++)
        {
            // Alternate the output size within each side so its mean is exact.
            events.Add(i % 20 == 0
                ? Request(Start + i * step, "holy_sheep", "google/gemini-2.5-flash", 1000, canarySeen++ % 2 == 0 ? 2500 : 2700)
                : Request(Start + i * step, "legacy", i % 2 == 0 ? "GPT-4.1-2025-04-14" : "openai/gpt-4.1", 1000, baselineSeen++ % 2 == 0 ? 4900 : 5100));
        }
        Store(events);
        var experiment = ExperimentCatalog.Defaults("migration") with { BaselineEndpoint = "legacy", CanaryEndpoint = "holy_sheep" };
        var sample = new ExperimentSampleReader(_store.Connection, () => _book).Read(experiment, Start + TimeSpan.FromDays(3));
        var verdict = CheckedEvaluator.CreateDefault().Evaluate(experiment, sample, null);

        Assert.Equal((9_500, 500), (sample.Baseline.Requests, sample.Canary.Requests));
        var cost = verdict.Cost!;
        Assert.Equal(42.0, cost.Baseline.CostPer1kRequestsUsd!.Value, 1e-9);
        Assert.Equal(6.8, cost.Canary.CostPer1kRequestsUsd!.Value, 1e-9);
        Assert.Equal(6000.0, cost.Baseline.TokensPerRequest!.Value, 1e-9);
        Assert.Equal(3600.0, cost.Canary.TokensPerRequest!.Value, 1e-9);
        Assert.Equal(100_000, cost.ProjectedMonthlyUsd!.Requests);
        Assert.Equal(4200.00, cost.ProjectedMonthlyUsd.AllOnBaseline);
        Assert.Equal(680.00, cost.ProjectedMonthlyUsd.AllOnCanary);
        Assert.Equal(0, cost.Baseline.UnpricedRequests + cost.Canary.UnpricedRequests);
        Assert.Equal([new ModelCostFigures("gpt-4.1", 9_500, 9_500, 0.042, 6000)], cost.Baseline.Models.Select(m => m with { CostPerRequestUsd = Math.Round(m.CostPerRequestUsd!.Value, 12) }));
        Assert.Equal(Outcomes.Pass, verdict.Checks.Single(c => c.Metric == MetricNames.CostPerRequest).Outcome);
    }

    [Fact]
    public void The_requests_costed_view_prices_every_request_as_the_engine_does()
    {
        var ts = Start;
        var events = new List<RequestEvent>
        {
            Request(ts, "legacy", "gpt-4.1", 1000, 500),
            Request(ts, "legacy", "OpenAI/GPT-4.1-2025-04-14", 1000, 500),
            Request(ts, "legacy", "claude-sonnet-4-5@20250929", 2000, 300),
            Request(ts, "relay_cny", "gpt-4.1", 2000, 1000),
            Request(ts, "relay_quota", "anthropic/claude-sonnet-4.5", 1000, 1000),
            Request(ts, "openrouter", "deepseek-chat", 4000, 800),
            Request(ts, "legacy", "gpt-4.1", 1000, 500, cost: 0.5),
            Request(ts, "legacy", "mistral-large", 1000, 500),
            Request(ts, "legacy", "gpt-4.1", null, null),
            Request(ts, "legacy", null, 10, 10),
            Request(ts, "legacy", "gpt-4.1", null, null, status: 503),
            Request(ts, "legacy", "gpt-4.1", null, 500, total: 1500),
            Request(ts, "legacy", "gpt-4.1", null, null, total: 1500),
            Request(ts, "legacy", "gemini-2.5-flash", 0, 0, status: 429),
        };
        Store(events);
        PriceBookTable.Sync(_store.Connection, _book);

        using var cmd = _store.Connection.CreateCommand();
        cmd.CommandText = "SELECT cost_source, request_cost_usd FROM requests_costed ORDER BY source_offset";
        using var reader = cmd.ExecuteReader();
        foreach (var e in events)
        {
            Assert.True(reader.Read());
            var expected = RequestCost.Of(_book, e.Endpoint, e.Model, e.PromptTokens, e.CompletionTokens, e.TotalTokens, e.CostUsd, e.StatusCode);
            var label = $"{e.Endpoint} {e.Model} {e.PromptTokens}/{e.CompletionTokens}/{e.TotalTokens} {e.CostUsd} {e.StatusCode}";
            Assert.True(expected.Source == reader.GetString(0), $"{label}: engine {expected.Source}, view {reader.GetString(0)}");
            if (expected.Usd is { } usd)
            {
                Assert.Equal(usd, reader.GetDouble(1), 1e-15);
            }
            else
            {
                Assert.True(reader.IsDBNull(1), $"{label}: unpriced in the engine but priced in the view");
            }
        }
        // Spot checks by hand: openrouter DeepSeek V3.2 = (4,000 x 0.28 + 800 x 0.42) / 1e6 x 1.055 = 0.00153608
        Assert.Equal(0.00153608, RequestCost.Of(_book, "openrouter", "deepseek-chat", 4000, 800, null, null, 200).Usd!.Value, 1e-15);
    }

    [Theory]
    [InlineData("gpt-4.1")]
    [InlineData("GPT-4.1-2025-04-14")]
    [InlineData("openai/gpt-4.1")]
    [InlineData(" Anthropic/Claude-Sonnet-4-5-20250929 ")]
    [InlineData("claude-sonnet-4-5@20250929")]
    [InlineData("models/gemini-2.5-flash")]
    [InlineData("vendor/sub/model-x")]
    [InlineData("model-2025")]
    [InlineData("o3-mini-2025-01-31")]
    public void The_sql_macro_spells_model_names_like_the_price_book(string model)
    {
        using var cmd = _store.Connection.CreateCommand();
        cmd.CommandText = "SELECT canonical_model($m)";
        cmd.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("m", model));
        Assert.Equal(PriceBook.CanonicalModel(model), Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_analyst_cost_query_reports_unpriced_requests_instead_of_zero()
    {
        Store([
            Request(Start, "legacy", "gpt-4.1", 1000, 500),
            Request(Start.AddHours(1), "legacy", "gpt-4.1", 1000, 1500),
            Request(Start.AddHours(2), "legacy", "mistral-large", 1000, 500),
        ]);
        PriceBookTable.Sync(_store.Connection, _book);
        using var cmd = _store.Connection.CreateCommand();
        cmd.CommandText = SqlScripts.Load("queries/cost_by_endpoint_model.sql");
        using var reader = cmd.ExecuteReader();
        var rows = new Dictionary<string, (long Requests, long Priced, long Unpriced, double? CostPerRequest)>();
        while (reader.Read())
        {
            rows[reader.GetString(reader.GetOrdinal("model"))] = (reader.GetInt64(reader.GetOrdinal("requests")), reader.GetInt64(reader.GetOrdinal("priced")),
                reader.GetInt64(reader.GetOrdinal("unpriced")), reader.IsDBNull(reader.GetOrdinal("cost_per_request_usd")) ? null : reader.GetDouble(reader.GetOrdinal("cost_per_request_usd")));
        }
        // gpt-4.1: (0.002 + 0.004 + 0.002 + 0.012) / 2 = $0.010
        Assert.Equal((2L, 2L, 0L, (double?)0.010), rows["gpt-4.1"]);
        Assert.Equal((1L, 0L, 1L, (double?)null), rows["mistral-large"]);
    }
}
