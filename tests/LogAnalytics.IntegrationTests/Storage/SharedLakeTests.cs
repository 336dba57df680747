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
public sealed class SharedLakeTests(KafkaFixture kafka, ITestOutputHelper output) : IDisposable
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

    private async Task WaitForLakeProgress(string topic, double atLeast, Func<string>? report = null) =>
        await Eventually.UntilAsync(() => LakeRows(topic, "SELECT count(*) FROM requests") >= atLeast,
            TimeSpan.FromSeconds(120), () => $"the lake holds fewer than {atLeast:N0} requests\n{report?.Invoke()}");

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

    [Fact]
    public async Task Three_workers_an_evaluator_a_kill_9_a_sigstop_and_a_rescale_leave_every_event_once_in_the_lake_and_only_the_evaluators_verdicts()
    {
        var topic = $"shared-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 6);
        var verdictTopic = $"{topic}-verdicts";
        // Requests one second apart over 3 h 20 min, all in hours already sealed: every hour folder is compacted
        // (Storage:LakeFlushSeconds 1 seals a folder a minute after its last write) while partitions change hands.
        var start = DateTimeOffset.UtcNow.AddHours(-4);
        var spacing = TimeSpan.FromSeconds(1);
        var workers = new Dictionary<string, WorkerProcess>();
        WorkerProcess StartWorker(string name) => workers[name] = WorkerProcess.Start(Path.Combine(_dir, $"{name}.json"), Settings(topic, name));
        try
        {
            foreach (var name in new[] { "w0", "w1", "w2" })
            {
                StartWorker(name);
            }
            var evaluator = workers["evaluator"] = WorkerProcess.Start(Path.Combine(_dir, "evaluator.json"), Settings(topic, "unused"),
                "evaluate", "--lake", Lake, "--db", Path.Combine(_dir, "evaluator.duckdb")); // then --config evaluator.json
            await Eventually.UntilAsync(() => workers.Values.Count(w => w.Said("Assigned")) >= 3 || workers.Values.Any(w => w.HasExited),
                TimeSpan.FromSeconds(120), () => "workers never got partitions:\n" + Outputs(workers));

            // A steady producer: 12 rounds of 1,000 requests (plus the stage announcement first).
            var produced = new List<KafkaRecord>();
            produced.AddRange(await kafka.ProduceAsync(topic, [(null, $$"""{"kind":"stage","experiment":"alpha","weight":25,"timestamp":"{{start.AddSeconds(-1):O}}"}""")]));
            for (var round = 0; round < 12; round++)
            {
                produced.AddRange(await kafka.ProduceAsync(topic, Enumerable.Range(round * 1_000, 1_000).Select(i => Request(i, start, spacing))));
                switch (round)
                {
                    case 2:
                        workers["w1"].Kill(); // kill -9 mid-stream
                        break;
                    case 4:
                        workers["w1"].Dispose();
                        StartWorker("w1"); // restarted on its own file
                        break;
                    case 5:
                        // w2 stops answering past the session timeout: its partitions go to the others; then it resumes
                        // as a zombie with whatever it held, and rejoins.
                        var assignedBefore = Occurrences(workers["w0"].Output + workers["w1"].Output, "Assigned ");
                        workers["w2"].Pause(true);
                        try
                        {
                            await Eventually.UntilAsync(() => Occurrences(workers["w0"].Output + workers["w1"].Output, "Assigned ") > assignedBefore,
                                TimeSpan.FromSeconds(90), () => "w2's partitions were never reassigned:\n" + Outputs(workers));
                        }
                        finally
                        {
                            workers["w2"].Pause(false);
                        }
                        break;
                    case 6:
                        StartWorker("w3"); // a worker added
                        break;
                    case 8:
                        Assert.Equal(0, await workers["w0"].TerminateAsync(TimeSpan.FromSeconds(60))); // and one removed
                        break;
                }
                // Steady pace without sleeps: the next round goes out once the lake holds half of what came before.
                await WaitForLakeProgress(topic, round * 500, () => Accounting(topic, workers));
            }

            await Eventually.UntilAsync(() => LakeRows(topic, "SELECT count(*) FROM requests") == 12_000,
                TimeSpan.FromSeconds(180), () => $"the lake holds {LakeRows(topic, "SELECT count(*) FROM requests")} of 12,000 requests.\n" + Accounting(topic, workers));
            await Eventually.UntilAsync(() => Latest(verdictTopic) is { } v && v.Samples.Baseline + v.Samples.Canary == 12_000,
                TimeSpan.FromSeconds(120), () => "the evaluator published no verdict from all 12,000 requests:\n" + evaluator.Output);

            // The lake, read as analysts read it, holds every event of the log exactly once, by position and request id.
            var log = await kafka.ReadAllAsync(topic);
            var expected = log.Where(r => r.Value!.Contains("request_id", StringComparison.Ordinal))
                .Select(r => $"{r.Partition}:{r.Offset}:{RequestId(r.Value!)}").Order(StringComparer.Ordinal).ToList();
            var actual = LakeList(topic, "SELECT source_partition || ':' || source_offset || ':' || request_id FROM requests");
            Assert.Equal(12_000, expected.Count);
            if (!expected.SequenceEqual(actual.Order(StringComparer.Ordinal)))
            {
                Assert.Fail("the lake's requests differ from the log's:\n" + Accounting(topic, workers));
            }
            Assert.Equal(1, LakeRows(topic, "SELECT count(*) FROM stages"));
            Assert.Equal(0, LakeRows(topic, "SELECT count(*) FROM quarantine"));
            var raw = LakeRows(topic, $"SELECT count(*) FROM read_parquet('{Lake}/requests/**/*.parquet')");
            var files = Directory.EnumerateFiles(Path.Combine(Lake, "requests"), "*.parquet", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f) != LakeWriter.EmptyFileName).ToList();
            output.WriteLine($"lake: 12,000 requests through the views, {raw:N0} rows in {files.Count} files in {files.Select(Path.GetDirectoryName).Distinct().Count()} hour folders (copies of re-read ranges the views keep out)");

            foreach (var (name, worker) in workers.Where(w => w.Key != "evaluator" && !w.Value.HasExited))
            {
                Assert.Equal(0, await worker.TerminateAsync(TimeSpan.FromSeconds(60)));
            }
            Assert.Equal(0, await evaluator.TerminateAsync(TimeSpan.FromSeconds(60)));

            // Only the evaluator published: no worker has a verdict; every verdict on the topic is one of the evaluator's.
            foreach (var name in new[] { "w0", "w1", "w2", "w3" })
            {
                Assert.Equal(0, DatabaseProbe.Count(Path.Combine(_dir, $"{name}.duckdb"), "SELECT count(*) FROM verdicts"));
                Assert.Contains("Verdicts come from the evaluator", workers[name].Output, StringComparison.Ordinal);
            }
            var evaluated = DatabaseProbe.Rows(Path.Combine(_dir, "evaluator.duckdb"), "SELECT verdict FROM verdicts", r => r.GetString(0))
                .Select(j => Verdict.FromJson(j)!).Select(v => (v.Experiment, v.EvaluatedAt)).ToHashSet();
            var published = (await kafka.ReadAllAsync(verdictTopic)).Select(r => Verdict.FromJson(r.Value!)!).ToList();
            Assert.NotEmpty(published);
            Assert.All(published, v => Assert.Contains((v.Experiment, v.EvaluatedAt), evaluated));
        }
        finally
        {
            foreach (var worker in workers.Values)
            {
                worker.Dispose();
            }
        }
    }

    /// <summary>
    /// Where requests went missing, per partition: what the log holds (the broker), what each worker's DuckDB stored
    /// (<c>ingest_offsets</c> and its request rows), the lake's <c>_offsets/</c> markers, the lake's requests (through
    /// the views, by source position) and which lake files name a range over the missing positions. Stops the
    /// processes first (their files are locked while they run); only called when the test fails.
    /// </summary>
    private string Accounting(string topic, Dictionary<string, WorkerProcess> workers)
    {
        foreach (var worker in workers.Values)
        {
            worker.Dispose();
        }
        var report = new System.Text.StringBuilder();
        var log = kafka.ReadAllAsync(topic).GetAwaiter().GetResult();
        var lake = LakeList(topic, "SELECT source_partition || ':' || source_offset FROM requests").ToHashSet(StringComparer.Ordinal);
        var markers = Directory.Exists(Path.Combine(Lake, LakeWriter.OffsetsFolder))
            ? Directory.EnumerateFiles(Path.Combine(Lake, LakeWriter.OffsetsFolder)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
            : [];
        var files = Directory.Exists(Path.Combine(Lake, "requests"))
            ? Directory.EnumerateFiles(Path.Combine(Lake, "requests"), "*.parquet", SearchOption.AllDirectories)
                .Select(p => (Path: p, Ok: LakeFileName.TryParse(Path.GetFileName(p), out var n), Name: n)).Where(x => x.Ok).ToList()
            : [];
        var databases = workers.Keys.Where(k => k != "evaluator").Order(StringComparer.Ordinal)
            .Select(name => (Name: name, Path: Path.Combine(_dir, $"{name}.duckdb"))).Where(d => File.Exists(d.Path)).ToList();
        foreach (var partition in log.Select(r => r.Partition).Distinct().Order())
        {
            var requests = log.Where(r => r.Partition == partition && r.Value!.Contains("request_id", StringComparison.Ordinal)).Select(r => r.Offset).ToList();
            var end = log.Where(r => r.Partition == partition).Select(r => r.Offset + 1).DefaultIfEmpty(0).Max();
            var missing = requests.Where(o => !lake.Contains($"{partition}:{o}")).ToList();
            report.AppendLine(CultureInfo.InvariantCulture, $"partition {partition}: log end {end}, {requests.Count} requests in the log, {requests.Count - missing.Count} in the lake, missing {Ranges(missing)}");
            report.AppendLine(CultureInfo.InvariantCulture, $"  lake markers: {string.Join(", ", markers.Where(m => LakeFileName.TryParse(m!, out var n) && n.Partition == partition))}");
            foreach (var (name, path) in databases)
            {
                var next = DatabaseProbe.TryCount(path, $"SELECT coalesce(max(next_offset), -1) FROM ingest_offsets WHERE source_partition = {partition}");
                var held = DatabaseProbe.Rows(path, $"SELECT source_offset FROM requests WHERE source_partition = {partition} ORDER BY 1", r => r.GetInt64(0));
                var heldMissing = held.Intersect(missing).ToList();
                report.AppendLine(CultureInfo.InvariantCulture, $"  {name}: ingest_offsets next {next}, requests stored {Ranges(held)}, of the missing: {Ranges(heldMissing)}");
            }
            var covering = files.Where(f => f.Name.Partition == partition && missing.Any(o => f.Name.From <= o && o <= f.Name.To))
                .Select(f => Path.GetRelativePath(Lake, f.Path)).Order(StringComparer.Ordinal).ToList();
            report.AppendLine(CultureInfo.InvariantCulture, $"  lake files whose name covers a missing position: {(covering.Count == 0 ? "none" : string.Join(", ", covering))}");
        }
        report.AppendLine("--- worker logs (assignments, revocations, lake):");
        foreach (var (name, worker) in workers)
        {
            foreach (var line in worker.Output.Split('\n').Where(l => l.Contains("Assigned", StringComparison.Ordinal) || l.Contains("revoked", StringComparison.Ordinal)
                || l.Contains("lost", StringComparison.Ordinal) || l.Contains("lake", StringComparison.OrdinalIgnoreCase) || l.Contains("ERR", StringComparison.Ordinal)
                || l.Contains("WRN", StringComparison.Ordinal)))
            {
                report.Append(name).Append(": ").AppendLine(line);
            }
        }
        return report.ToString();
    }

    /// <summary>Offsets as compact ranges, e.g. <c>0-99, 120-130</c>.</summary>
    private static string Ranges(IEnumerable<long> offsets)
    {
        var parts = new List<string>();
        long? from = null, to = null;
        foreach (var o in offsets.Order())
        {
            if (to is { } t && o == t + 1)
            {
                to = o;
                continue;
            }
            if (from is not null)
            {
                parts.Add(from == to ? $"{from}" : $"{from}-{to}");
            }
            from = to = o;
        }
        if (from is not null)
        {
            parts.Add(from == to ? $"{from}" : $"{from}-{to}");
        }
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private static (string? Key, string Value) Request(int i, DateTimeOffset start, TimeSpan? spacing = null)
    {
        var canary = i % 4 == 0;
        return ($"alpha-{i}", string.Create(CultureInfo.InvariantCulture,
            $$"""{"timestamp":"{{start + (spacing ?? TimeSpan.FromMilliseconds(20)) * i:O}}","experiment":"alpha","endpoint":"{{(canary ? "holy_sheep" : "legacy")}}","latency_ms":{{700 + i % 300}},"status_code":200,"request_id":"alpha-{{i}}"}"""));
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
        // A compaction may delete a small file between DuckDB's listing of the folder and its read (creating the views
        // lists the files too): the statement fails whole (never a partial answer) and is run again, as README tells
        // analysts.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var reader = new DuckDBConnection("Data Source=:memory:");
                reader.Open();
                using (var setup = reader.CreateCommand())
                {
                    setup.CommandText = $"SET VARIABLE lake = '{Lake}';\n" + SqlScripts.Load("lake/views.sql");
                    setup.ExecuteNonQuery();
                }
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
            catch (DuckDBException ex) when (attempt < 50 && ex.Message.Contains("No such file", StringComparison.Ordinal))
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
