using System.Globalization;
using Confluent.Kafka;
using DuckDB.NET.Data;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using LogAnalytics.Verdicts;
using Xunit.Abstractions;

namespace LogAnalytics.IntegrationTests.Storage;

/// <summary>Several `loganalytics run` processes in one consumer group writing one shared lake
/// (<c>Storage:LakeShared</c>), and one `loganalytics evaluate --lake` process publishing the verdicts.</summary>
[Collection("kafka")]
public sealed class SharedLakeTests(KafkaFixture kafka) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-shared-").FullName;

    private string Lake => Path.Combine(_dir, "lake");

    private Dictionary<string, string?> Settings(string topic, string name)
    {
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, Path.Combine(_dir, $"{name}.duckdb"), kafka.ClientOverrides, group: $"{topic}-group");
        settings["Storage:LakePath"] = Lake;
        settings["Storage:LakeShared"] = "true";
        settings["Storage:LakeFlushSeconds"] = "1";
        settings["Experiments:EvaluationIntervalSeconds"] = "1";
        settings["Experiments:Items:0:Id"] = "alpha";
        settings["Experiments:Items:0:BaselineEndpoint"] = "legacy";
        settings["Experiments:Items:0:CanaryEndpoint"] = "holy_sheep";
        return settings;
    }

    [Fact]
    public async Task A_new_owner_resumes_from_the_lakes_durable_offset_never_from_kafkas_commit()
    {
        var topic = $"resume-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 2);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        using (var producer = new ProducerBuilder<string?, string>(kafka.ProducerConfig()).Build())
        {
            for (var i = 0; i < 2_000; i++)
            {
                var (key, value) = Request(i, start);
                await producer.ProduceAsync(new TopicPartition(topic, i % 2), new Message<string?, string> { Key = key, Value = value });
            }
        }
        // A previous owner made partition 0 durable in the lake up to offset 399, and the group's advisory commit went
        // further on both partitions (to 700): its own file held rows it never flushed to the lake before it died.
        Directory.CreateDirectory(Path.Combine(Lake, LakeWriter.OffsetsFolder));
        File.WriteAllBytes(Path.Combine(Lake, LakeWriter.OffsetsFolder, new LakeFileName(topic, 0, 0, 399).Stem), []);
        using (var committer = new ConsumerBuilder<Ignore, Ignore>(kafka.ConsumerConfig($"{topic}-group")).Build())
        {
            committer.Commit([new TopicPartitionOffset(topic, 0, 700), new TopicPartitionOffset(topic, 1, 700)]);
        }

        using var worker = WorkerProcess.Start(Path.Combine(_dir, "w.json"), Settings(topic, "w"));
        await Eventually.UntilAsync(() => LakeRows(topic, "SELECT count(*) FROM requests WHERE source_partition = 1") == 1_000 || worker.HasExited,
            TimeSpan.FromSeconds(120), () => $"partition 1 never reached the lake in full:\n{worker.Output}");
        await Eventually.UntilAsync(() => LakeRows(topic, "SELECT count(*) FROM requests WHERE source_partition = 0") == 600 || worker.HasExited,
            TimeSpan.FromSeconds(60), () => $"partition 0 from offset 400 never reached the lake:\n{worker.Output}");
        Assert.Equal(0, await worker.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("durable in the shared lake", worker.Output, StringComparison.Ordinal);
        var db = Path.Combine(_dir, "w.duckdb");
        // Partition 0 from the lake's 400 (not 700), partition 1 from the beginning (nothing durable; not 700).
        Assert.Equal(400, DatabaseProbe.Count(db, "SELECT min(source_offset) FROM requests WHERE source_partition = 0"));
        Assert.Equal(600, DatabaseProbe.Count(db, "SELECT count(*) FROM requests WHERE source_partition = 0"));
        Assert.Equal(0, DatabaseProbe.Count(db, "SELECT min(source_offset) FROM requests WHERE source_partition = 1"));
        Assert.Equal(1_000, DatabaseProbe.Count(db, "SELECT count(*) FROM requests WHERE source_partition = 1"));
        Assert.Equal(0, DatabaseProbe.Count(db, "SELECT count(*) FROM verdicts"));
    }

    private async Task WaitForLakeProgress(string topic, double atLeast) =>
        await Eventually.UntilAsync(() => LakeRows(topic, "SELECT count(*) FROM requests") >= atLeast,
            TimeSpan.FromSeconds(120), () => $"the lake holds fewer than {atLeast:N0} requests");

    private Verdict? Latest(string verdictTopic) =>
        kafka.ReadAllAsync(verdictTopic).GetAwaiter().GetResult().Where(r => r.Key == "alpha").OrderBy(r => r.Offset)
            .Select(r => Verdict.FromJson(r.Value!)).LastOrDefault();

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static string Outputs(Dictionary<string, WorkerProcess> workers) =>
        string.Join("\n", workers.Select(w => $"--- {w.Key}:\n{w.Value.Output}"));

    private static string RequestId(string json) =>
        System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("request_id").GetString()!;

    private static (string? Key, string Value) Request(int i, DateTimeOffset start)
    {
        var canary = i % 4 == 0;
        return ($"alpha-{i}", string.Create(CultureInfo.InvariantCulture,
            $$"""{"timestamp":"{{start.AddMilliseconds(i * 20):O}}","experiment":"alpha","endpoint":"{{(canary ? "holy_sheep" : "legacy")}}","latency_ms":{{700 + i % 300}},"status_code":200,"request_id":"alpha-{{i}}"}"""));
    }

    /// <summary>A query through sql/lake/views.sql (as analysts read the lake); -1 while the lake has no tables yet.</summary>
    private long LakeRows(string topic, string sql) =>
        LakeList(topic, sql) is [var first] ? long.Parse(first, CultureInfo.InvariantCulture) : -1;

    private List<string> LakeList(string topic, string sql)
    {
        _ = topic;
        if (!LakeVerdictDatabase.IsReady(Lake))
        {
            return [];
        }
        using var reader = new DuckDBConnection("Data Source=:memory:");
        reader.Open();
        using (var setup = reader.CreateCommand())
        {
            setup.CommandText = $"SET VARIABLE lake = '{Lake}';\n" + SqlScripts.Load("lake/views.sql");
            setup.ExecuteNonQuery();
        }
        // A compaction may delete a small file between DuckDB's listing of the folder and its read: the query fails
        // whole (never a partial answer) and is run again, as README tells analysts.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var cmd = reader.CreateCommand();
                cmd.CommandText = sql;
                using var rows = cmd.ExecuteReader();
                var result = new List<string>();
                while (rows.Read())
                {
                    result.Add(Convert.ToString(rows.GetValue(0), CultureInfo.InvariantCulture)!);
                }
                return result;
            }
            catch (DuckDBException ex) when (attempt < 5 && ex.Message.Contains("No such file", StringComparison.Ordinal))
            {
            }
        }
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
