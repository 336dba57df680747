namespace LogAnalytics.Kpis;

/// <summary>
/// Monthly cost at the observed volume (requests of both sides per day in the window × <see cref="DaysPerMonth"/>):
/// if all traffic stayed on the baseline, if all of it moved to the canary, and at the current split. The split is a
/// random (consistent-hash) sample of the same traffic, so each side's cost per request is the cost of the observed mix.
/// </summary>
/// <param name="MonthlyRequests">Requests per month at the observed volume.</param>
/// <param name="AllOnBaselineUsd">Monthly cost with every request on the baseline.</param>
/// <param name="AllOnCanaryUsd">Monthly cost with every request on the canary.</param>
/// <param name="CurrentSplitUsd">Monthly cost at the current split.</param>
public sealed record CostProjection(double MonthlyRequests, double AllOnBaselineUsd, double AllOnCanaryUsd, double CurrentSplitUsd)
{
    /// <summary>Days in the projected month.</summary>
    public const double DaysPerMonth = 30;

    /// <summary>The projection of a sample; null when either side has no priced request or the window is empty.</summary>
    public static CostProjection? Of(ExperimentSample sample)
    {
        var days = (sample.AsOf - sample.Stage.StartedAt).TotalDays;
        var requests = sample.Baseline.Requests + sample.Canary.Requests;
        if (days <= 0 || requests == 0 || sample.Baseline.Cost.CostPerRequestUsd is not { } b || sample.Canary.Cost.CostPerRequestUsd is not { } c)
        {
            return null;
        }
        var monthly = requests / days * DaysPerMonth;
        var canaryShare = (double)sample.Canary.Requests / requests;
        return new CostProjection(monthly, monthly * b, monthly * c, monthly * ((1 - canaryShare) * b + canaryShare * c));
    }
}
