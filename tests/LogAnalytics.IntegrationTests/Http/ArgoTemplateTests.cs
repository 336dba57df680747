using LogAnalytics.IntegrationTests.Support;

namespace LogAnalytics.IntegrationTests.Http;

/// <summary>README's AnalysisTemplate under Argo's assessment rules (no broker needed): three consecutive go succeed, one
/// no_go fails, a run of waits pauses (Inconclusive) instead of promoting, and stale or unknown answers end in Error.</summary>
public sealed class ArgoTemplateTests
{
    [Fact]
    public void Readme_template_promotes_only_on_consecutive_go_and_never_on_a_run_of_waits()
    {
        var argo = ArgoAnalysis.FromReadme();
        Assert.Equal("{$.decision}", argo.JsonPath);
        Assert.Contains("/v1/experiments/{{args.experiment}}/verdict", argo.Url);
        Assert.True(argo.ConsecutiveSuccessLimit > 0, "consecutiveSuccessLimit is what keeps a run of waits from ending Successful");
        Assert.True(argo.Count - argo.InconclusiveLimit >= argo.ConsecutiveSuccessLimit, "after the tolerated waits there must be room for the consecutive go's");

        var go = argo.Measure(200, """{"decision":"go"}""");
        var noGo = argo.Measure(200, """{"decision":"no_go"}""");
        var wait = argo.Measure(200, """{"decision":"wait"}""");
        Assert.Equal(("Successful", "Failed", "Inconclusive"), (go, noGo, wait));
        Assert.Equal("Error", argo.Measure(503, """{"error":"stale"}"""));
        Assert.Equal("Error", argo.Measure(200, """{"error":"no decision field"}"""));

        Assert.Equal("Successful", argo.Assess(Enumerable.Repeat(wait, 10).Concat(Enumerable.Repeat(go, argo.ConsecutiveSuccessLimit))));
        Assert.Equal("Running", argo.Assess(Enumerable.Repeat(wait, 10).Append(go).Append(wait).Append(go)));
        Assert.Equal("Failed", argo.Assess(Enumerable.Repeat(wait, 10).Append(noGo)));
        Assert.Equal("Inconclusive", argo.Assess(Enumerable.Repeat(wait, argo.Count)));
        Assert.Equal("Error", argo.Assess(Enumerable.Repeat("Error", argo.ConsecutiveErrorLimit + 1)));

        // The trap README names: the same template without consecutiveSuccessLimit promotes after a run of waits.
        var trap = new ArgoAnalysis
        {
            JsonPath = argo.JsonPath, Url = argo.Url, SuccessCondition = argo.SuccessCondition, FailureCondition = argo.FailureCondition,
            Count = argo.Count, FailureLimit = argo.FailureLimit, InconclusiveLimit = argo.InconclusiveLimit,
            ConsecutiveErrorLimit = argo.ConsecutiveErrorLimit, ConsecutiveSuccessLimit = 0,
        };
        var mostlyWaits = Enumerable.Repeat(go, 1).Concat(Enumerable.Repeat(wait, argo.InconclusiveLimit))
            .Concat(Enumerable.Repeat(go, argo.Count - argo.InconclusiveLimit - 1)).ToList();
        Assert.Equal(argo.Count, mostlyWaits.Count);
        Assert.Equal("Successful", trap.Assess(mostlyWaits));
        Assert.Equal("Inconclusive", argo.Assess(mostlyWaits));
        var tolerant = new ArgoAnalysis
        {
            JsonPath = argo.JsonPath, Url = argo.Url, SuccessCondition = argo.SuccessCondition, FailureCondition = argo.FailureCondition,
            Count = argo.Count, FailureLimit = argo.FailureLimit, InconclusiveLimit = argo.Count, ConsecutiveErrorLimit = argo.ConsecutiveErrorLimit,
        };
        Assert.Equal("Successful", tolerant.Assess(Enumerable.Repeat(wait, argo.Count))); // only waits, and it promotes
    }
}
