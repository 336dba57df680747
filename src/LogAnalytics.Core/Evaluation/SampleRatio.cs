using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Statistics;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>
/// Sample ratio mismatch: is the observed baseline/canary split what the stage announces? The sequential multinomial
/// test of Lindon &amp; Malek (2022) keeps its 0.001 error rate however often the split is checked (a chi-square repeated
/// every 30 s does not), and a practical tolerance (<c>SrmTolerance</c>, relative to the weight) keeps a real but
/// immaterial drift (5.05 % against 5 % at ten million requests) from blocking forever: the split is broken only when
/// the test rejects <em>and</em> the observed share is off by more than the tolerance.
/// <para>Prior: Dirichlet(C·(1 − w), C·w) with C = (1 − w)/(tolerance²·w), so the prior's spread of the canary share
/// is about the tolerance (the test is most sensitive to mismatches of about that size).</para>
/// </summary>
public static class SampleRatio
{
    /// <summary>The metric name under which the SRM's running minimum p-value is remembered.</summary>
    public const string MemoryKey = "srm";

    /// <summary>Checks the split of <paramref name="sample"/> at the default tolerance, as a first look.</summary>
    public static SrmCheck Check(ExperimentSample sample) => Check(sample, ExperimentDefaults.SrmTolerance, null);

    /// <summary>Checks the split of <paramref name="sample"/> against its stage weight, continuing the running minimum
    /// p-value of <paramref name="memory"/> (the same stage's earlier looks).</summary>
    public static SrmCheck Check(ExperimentSample sample, double tolerance, GuardrailMemory? memory) => Check(sample, tolerance, memory, out _);

    /// <summary>As <see cref="Check(ExperimentSample, double, GuardrailMemory?)"/>, also returning the memory after this look.</summary>
    public static SrmCheck Check(ExperimentSample sample, double tolerance, GuardrailMemory? memory, out GuardrailMemory after)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return Check(sample.Baseline.Requests, sample.Canary.Requests, sample.Stage.WeightPercent, tolerance, memory, out after);
    }

    /// <summary>The same check from the request counts of each side and the stage weight in percent.</summary>
    internal static SrmCheck Check(long baselineRequests, long canaryRequests, double weightPercent, double tolerance, GuardrailMemory? memory, out GuardrailMemory after)
    {
        var prior = memory ?? GuardrailMemory.Initial(MemoryKey);
        after = prior;
        var expected = weightPercent / 100.0;
        var total = baselineRequests + canaryRequests;
        if (total == 0)
        {
            return new SrmCheck(expected, null, null, true) { Tolerance = tolerance };
        }
        var observed = (double)canaryRequests / total;
        if (expected <= 0 || expected >= 1)
        {
            // a 0 % or 100 % stage has no split to test
            return new SrmCheck(expected, observed, null, true) { Tolerance = tolerance };
        }
        var deviation = observed / expected - 1;
        var concentration = (1 - expected) / (Math.Max(tolerance, 0.01) * Math.Max(tolerance, 0.01) * expected);
        var p = SequentialMultinomialTest.PValue(
            [baselineRequests, canaryRequests], [1 - expected, expected], [concentration * (1 - expected), concentration * expected]);
        after = prior with { FailPValue = Math.Min(prior.FailPValue, p) };
        var broken = after.FailPValue <= ExperimentDefaults.SrmAlpha && Math.Abs(deviation) > tolerance;
        after = after with { HasFailed = prior.HasFailed || broken };
        return new SrmCheck(expected, observed, after.FailPValue, !broken) { Tolerance = tolerance, RelativeDeviation = deviation };
    }
}
