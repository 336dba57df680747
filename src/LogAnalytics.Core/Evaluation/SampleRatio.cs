using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Statistics;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>Sample ratio mismatch: is the observed baseline/canary split what the stage announces?
/// Chi-square goodness of fit (as scipy.stats.chisquare); p &lt; 0.001 means the split is broken.</summary>
public static class SampleRatio
{
    /// <summary>Checks the split of <paramref name="sample"/> against its stage weight.</summary>
    public static SrmCheck Check(ExperimentSample sample)
    {
        var expected = sample.Stage.WeightPercent / 100.0;
        var total = sample.Baseline.Requests + sample.Canary.Requests;
        if (total == 0)
        {
            return new SrmCheck(expected, null, null, true);
        }
        var observed = (double)sample.Canary.Requests / total;
        if (expected <= 0 || expected >= 1)
        {
            return new SrmCheck(expected, observed, null, true); // a 0 % or 100 % stage has no split to test
        }
        var test = ChiSquareGoodnessOfFit.Test([sample.Baseline.Requests, sample.Canary.Requests], [total * (1 - expected), total * expected]);
        if (test.NotComputableReason is not null)
        {
            return new SrmCheck(expected, observed, null, true);
        }
        return new SrmCheck(expected, observed, test.PValue, !(test.PValue < ExperimentDefaults.SrmAlpha));
    }
}
