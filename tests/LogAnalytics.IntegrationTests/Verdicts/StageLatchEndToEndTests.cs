using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.Verdicts;

namespace LogAnalytics.IntegrationTests.Verdicts;

/// <summary>The policy's memory through the real worker, broker and DuckDB: a no_go holds for its stage across a
/// restart; a new <c>kind: "stage"</c> event (even re-announcing the same weight) moves the window and resets it; a go
/// reached in the new stage survives a restart too.</summary>
[Collection("kafka")]
public sealed class StageLatchEndToEndTests(KafkaFixture kafka) : IDisposable
{
    private const string Experiment = "latch";
    private readonly string _dir = Directory.CreateTempSubdirectory("la-latch-").FullName;

    [Fact]
    public async Task A_no_go_holds_across_a_restart_until_a_new_stage_event_and_the_new_stage_keeps_its_go()
    {
        var topic = $"latch-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, Path.Combine(_dir, "latch.duckdb"), kafka.ClientOverrides);
        settings["Experiments:EvaluationIntervalSeconds"] = "1";
        WorkerHost.AddExperiments(settings, Experiment);

        // Stage 25 announced at t0, then a degraded canary (1.6x latency, 6 % errors): no_go.
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-40);
        await kafka.ProduceAsync(topic, VerdictEndToEndTests.Traffic(Experiment, 12_000, 0.25, 1.6, 0.06, t0, seed: 11));
        Verdict first;
        await using (await WorkerHost.StartAsync(settings))
        {
            first = await NextVerdict(topic, after: 0, v => v.Decision == Decisions.NoGo && v.Samples.Canary + v.Samples.Baseline >= 11_000);
        }
        var before = await Verdicts(topic);
        var reachedAt = before.First(v => v.Decision == Decisions.NoGo).EvaluatedAt; // when the stage's no_go was first reached
        var published = before.Count;

        // Restart: the stored verdicts keep the no_go for the stage, with when it was first reached.
        await using (await WorkerHost.StartAsync(settings))
        {
            var again = await NextVerdict(topic, after: published, _ => true);
            Assert.Equal(Decisions.NoGo, again.Decision);
            // "no_go since <when it was first reached> at the 25 % stage: ..." (the stored time, to the second).
            Assert.StartsWith("no_go since ", again.Reasons[0], StringComparison.Ordinal);
            Assert.Contains(" at the 25 % stage", again.Reasons[0], StringComparison.Ordinal);
            var since = DateTimeOffset.Parse(again.Reasons[0]["no_go since ".Length..again.Reasons[0].IndexOf(" at the", StringComparison.Ordinal)],
                System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange((since - reachedAt).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(2)); // not the restart's time
            Assert.Equal(first.Window.From, again.Window.From);
            published = (await Verdicts(topic)).Count;

            // Rollout tooling re-announces the same weight at t1 (a new stage event) and the canary is healthy from then:
            // the window starts at the new event, the no_go no longer holds, and the new stage reaches go.
            var t1 = DateTimeOffset.UtcNow.AddMinutes(-10);
            await kafka.ProduceAsync(topic, VerdictEndToEndTests.Traffic(Experiment, 12_000, 0.25, 1.0, 0.01, t1, seed: 12));
            var go = await NextVerdict(topic, after: published, v => v.Decision == Decisions.Go);
            Assert.Equal(25, go.CurrentStage);
            Assert.Equal(t1.AddSeconds(-1).ToUnixTimeMilliseconds(), go.Window.From.ToUnixTimeMilliseconds());
            Assert.InRange(go.Samples.Canary + go.Samples.Baseline, 500, 12_000); // the new stage's requests only (the old stage had 12,000 more)
            Assert.All(go.Checks, c => Assert.Equal(Outcomes.Pass, c.Outcome));
            published = (await Verdicts(topic)).Count;
        }

        // Restart again: the go of the new stage holds.
        await using (await WorkerHost.StartAsync(settings))
        {
            var after = await NextVerdict(topic, after: published, _ => true);
            Assert.Equal(Decisions.Go, after.Decision);
            Assert.Equal(25, after.CurrentStage);
        }
    }

    private async Task<IReadOnlyList<Verdict>> Verdicts(string topic) =>
        (await kafka.ReadAllAsync($"{topic}-verdicts"))
            .Where(r => r.Key == Experiment)
            .OrderBy(r => r.Offset)
            .Select(r => Verdict.FromJson(r.Value!)!)
            .ToList();

    /// <summary>The first verdict published after the first <paramref name="after"/> ones that matches.</summary>
    private async Task<Verdict> NextVerdict(string topic, int after, Func<Verdict, bool> match)
    {
        Verdict? found = null;
        IReadOnlyList<Verdict> all = [];
        await Eventually.UntilAsync(() =>
        {
            all = Verdicts(topic).GetAwaiter().GetResult();
            found = all.Skip(after).FirstOrDefault(match);
            return found is not null;
        }, TimeSpan.FromSeconds(120), () => string.Join("; ", all.Skip(after).TakeLast(3).Select(v => $"{v.Decision} ({v.Samples.Baseline}/{v.Samples.Canary}) {v.Reasons.FirstOrDefault()}")));
        return found!;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
