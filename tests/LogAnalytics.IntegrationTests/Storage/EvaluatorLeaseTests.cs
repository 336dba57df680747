using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.Publishing;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using LogAnalytics.Verdicts;

namespace LogAnalytics.IntegrationTests.Storage;

/// <summary>Two `loganalytics evaluate --lake` processes on one lake: one publishes, the other waits as a standby and
/// takes over when the first is killed; the evaluator's verdicts reach the lake's verdicts table.</summary>
[Collection("kafka")]
public sealed class EvaluatorLeaseTests(KafkaFixture kafka) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-lease-").FullName;

    private string Lake => Path.Combine(_dir, "lake");

    [Fact]
    public async Task A_second_evaluator_on_the_same_lake_stands_by_publishes_nothing_and_takes_over_after_a_kill_9()
    {
        var topic = $"lease-{Guid.NewGuid():N}";
        var verdictTopic = $"{topic}-verdicts";
        await kafka.CreateTopicAsync(verdictTopic, partitions: 1);
        FillLake(topic);
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, Path.Combine(_dir, "unused.duckdb"), kafka.ClientOverrides);
        settings["Experiments:EvaluationIntervalSeconds"] = "1";
        settings["Experiments:Items:0:Id"] = "alpha";
        settings["Experiments:Items:0:BaselineEndpoint"] = "legacy";
        settings["Experiments:Items:0:CanaryEndpoint"] = "holy_sheep";
        var first = Path.Combine(_dir, "first.duckdb");
        var second = Path.Combine(_dir, "second.duckdb");

        using var a = WorkerProcess.Start(Path.Combine(_dir, "a.json"), settings, "evaluate", "--lake", Lake, "--db", first);
        await Eventually.UntilAsync(() => Published(verdictTopic).Count > 0 || a.HasExited, TimeSpan.FromSeconds(120),
            () => "the first evaluator published no verdict:\n" + a.Output);
        Assert.Contains("is the one that publishes", a.Output, StringComparison.Ordinal);

        using var b = WorkerProcess.Start(Path.Combine(_dir, "b.json"), settings, "evaluate", "--lake", Lake, "--db", second);
        await Eventually.UntilAsync(() => b.Said("this one is a standby") || b.HasExited, TimeSpan.FromSeconds(120),
            () => "the second evaluator never said it stands by:\n" + b.Output);
        // While both run, for as long as it takes the first one's verdicts to be a minute old and reach the lake: every
        // verdict on the topic is the first one's; the standby never opened its database.
        await Eventually.UntilAsync(() => LakeVerdicts() > 0 || a.HasExited || b.HasExited, TimeSpan.FromSeconds(180),
            () => "the evaluator's verdicts never reached the lake's verdicts table:\n" + a.Output);
        Assert.False(a.HasExited || b.HasExited, "both evaluators run:\n" + a.Output + "\n" + b.Output);
        Assert.False(File.Exists(second), "the standby opened its database");
        var whileBothRan = Published(verdictTopic);
        Assert.True(whileBothRan.Count >= 10, $"{whileBothRan.Count} verdicts while both ran");

        a.Kill();
        var byA = Published(verdictTopic).Count;
        await Eventually.UntilAsync(() => b.Said("now holds") || b.HasExited, TimeSpan.FromSeconds(60),
            () => "the standby never took over:\n" + b.Output);
        await Eventually.UntilAsync(() => Published(verdictTopic).Count > byA + 2 || b.HasExited, TimeSpan.FromSeconds(60),
            () => "the new evaluator published nothing:\n" + b.Output);
        Assert.Equal(0, await b.TerminateAsync(TimeSpan.FromSeconds(60)));

        var fromA = VerdictKeys(first);
        var fromB = VerdictKeys(second);
        var all = Published(verdictTopic);
        // The first one's only, then the second one's only. Where the second one's begin is found in the topic, not
        // taken from the count read right after the kill: a verdict the first one sent just before it died may reach
        // the broker's log after that read.
        var handover = all.FindIndex(v => !fromA.Contains(v));
        Assert.True(handover >= 0, "every verdict on the topic is the first evaluator's: the second one published none");
        Assert.True(handover >= byA, $"verdict {handover} of {all.Count} is not the first evaluator's, though the topic held {byA} when it was killed");
        Assert.All(all.Take(handover), v => Assert.Contains(v, fromA));
        Assert.All(all.Skip(handover), v => Assert.Contains(v, fromB));
        // The lake's verdicts are the evaluators' own, read as analysts read them.
        using var reader = LakeReader();
        using var cmd = reader.CreateCommand();
        cmd.CommandText = "SELECT experiment || ' ' || epoch_us(evaluated_at) FROM verdicts";
        using var rows = cmd.ExecuteReader();
        var inLake = new List<string>();
        while (rows.Read())
        {
            inLake.Add(rows.GetString(0));
        }
        const string Key = "SELECT experiment || ' ' || epoch_us(evaluated_at) FROM verdicts";
        var stored = DatabaseProbe.Rows(first, Key, r => r.GetString(0)).Concat(DatabaseProbe.Rows(second, Key, r => r.GetString(0))).ToHashSet();
        Assert.NotEmpty(inLake);
        Assert.Equal(inLake.Count, inLake.Distinct().Count());
        Assert.All(inLake, v => Assert.Contains(v, stored));
    }

    /// <summary>What a worker of the group would have written: 2,000 requests of experiment alpha and its stage.</summary>
    private void FillLake(string topic)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        using var store = DuckDbEventStore.Open(Path.Combine(_dir, "worker.duckdb"));
        var decoder = new EventDecoder();
        var batch = new IngestBatch();
        var messages = new List<string> { $$"""{"kind":"stage","experiment":"alpha","weight":25,"timestamp":"{{start.AddSeconds(-1):O}}"}""" };
        messages.AddRange(Enumerable.Range(0, 2_000).Select(i => string.Create(CultureInfo.InvariantCulture,
            $$"""{"timestamp":"{{start.AddMilliseconds(i * 20):O}}","experiment":"alpha","endpoint":"{{(i % 4 == 0 ? "holy_sheep" : "legacy")}}","latency_ms":{{700 + i % 300}},"status_code":200,"request_id":"alpha-{{i}}"}""")));
        for (var i = 0; i < messages.Count; i++)
        {
            var raw = Encoding.UTF8.GetBytes(messages[i]);
            batch.Add(new SourcePosition(topic, 0, i), decoder.Decode(raw), null, raw, start);
        }
        store.Write(batch);
        using var connection = new DuckDBConnection($"Data Source={store.DatabasePath}");
        connection.Open();
        var writer = new LakeWriter(connection, Lake, TimeSpan.FromMinutes(1), "worker") { Shared = true };
        writer.Recover();
        writer.Flush(DateTimeOffset.UtcNow);
    }

    private List<(string Experiment, DateTimeOffset EvaluatedAt)> Published(string verdictTopic) =>
        kafka.ReadAllAsync(verdictTopic).GetAwaiter().GetResult().Select(r => Verdict.FromJson(r.Value!)!)
            .Select(v => (v.Experiment, v.EvaluatedAt)).ToList();

    private static HashSet<(string Experiment, DateTimeOffset EvaluatedAt)> VerdictKeys(string db) => File.Exists(db)
        ? DatabaseProbe.Rows(db, "SELECT verdict FROM verdicts", r => r.GetString(0)).Select(j => Verdict.FromJson(j)!)
            .Select(v => (v.Experiment, v.EvaluatedAt)).ToHashSet()
        : [];

    private long LakeVerdicts()
    {
        using var reader = LakeReader();
        using var cmd = reader.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM verdicts";
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private DuckDBConnection LakeReader()
    {
        var reader = new DuckDBConnection("Data Source=:memory:");
        reader.Open();
        using var setup = reader.CreateCommand();
        setup.CommandText = $"SET VARIABLE lake = '{Lake}';\n" + SqlScripts.Load("lake/views.sql");
        setup.ExecuteNonQuery();
        return reader;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
