namespace LogAnalytics.Statistics;

/// <summary>One stratum's 2×2 table: events (errors) and trials (requests) on each side.</summary>
/// <param name="BaselineEvents">Baseline events.</param>
/// <param name="BaselineTotal">Baseline trials.</param>
/// <param name="CanaryEvents">Canary events.</param>
/// <param name="CanaryTotal">Canary trials.</param>
internal readonly record struct Stratum2x2(long BaselineEvents, long BaselineTotal, long CanaryEvents, long CanaryTotal);

/// <summary>
/// Cochran–Mantel–Haenszel analysis of K 2×2 tables (one per stratum, e.g. per model), canary against baseline:
/// <list type="bullet">
/// <item>the CMH test of no association given the strata, X² = (|Σ(a_k − E a_k)| − c)² / Σ Var a_k with a_k the canary's
/// events, E a_k = n_ck·m_k/N_k, Var a_k = n_bk·n_ck·m_k·(N_k − m_k)/(N_k²(N_k − 1)), c = 0.5 with the continuity
/// correction, 1 degree of freedom (Mantel &amp; Haenszel 1959);</item>
/// <item>the Mantel–Haenszel pooled odds ratio Σ(a_k·d_k/N_k) / Σ(b_k·c_k/N_k) and risk ratio
/// Σ(a_k·n_bk/N_k) / Σ(c_k·n_ck/N_k) (canary over baseline);</item>
/// <item>the Mantel–Haenszel risk difference Σ w_k(p_ck − p_bk) / Σ w_k with w_k = n_bk·n_ck/N_k (Greenland &amp; Robins
/// 1985).</item>
/// </list>
/// Equals <c>statsmodels.stats.contingency_tables.StratifiedTable</c> (<c>test_null_odds</c>, <c>oddsratio_pooled</c>,
/// <c>riskratio_pooled</c>) with the canary in the first row and events in the first column. Strata with fewer than two
/// trials add nothing and are skipped.
/// </summary>
internal static class MantelHaenszel
{
    /// <summary>The weight of a stratum in the Mantel–Haenszel risk difference: n_b·n_c/(n_b + n_c).</summary>
    public static double Weight(long baselineTotal, long canaryTotal) =>
        baselineTotal + canaryTotal == 0 ? 0 : (double)baselineTotal * canaryTotal / (baselineTotal + canaryTotal);

    /// <summary>Analyses the strata.</summary>
    /// <param name="strata">One table per stratum.</param>
    /// <param name="continuityCorrection">Subtract 0.5 from |Σ(a − E a)| (statsmodels' <c>correction=True</c>).</param>
    public static MantelHaenszelResult Analyse(IReadOnlyList<Stratum2x2> strata, bool continuityCorrection = false)
    {
        double deviation = 0, variance = 0, orNum = 0, orDen = 0, rrNum = 0, rrDen = 0, rdNum = 0, weights = 0;
        var used = 0;
        foreach (var s in strata)
        {
            Guard.Counts(s.BaselineEvents, s.BaselineTotal, nameof(strata));
            Guard.Counts(s.CanaryEvents, s.CanaryTotal, nameof(strata));
            double a = s.CanaryEvents, b = s.CanaryTotal - s.CanaryEvents, c = s.BaselineEvents, d = s.BaselineTotal - s.BaselineEvents;
            double nc = s.CanaryTotal, nb = s.BaselineTotal, n = nc + nb, m = a + c;
            if (nc == 0 || nb == 0 || n < 2)
            {
                continue;
            }
            used++;
            deviation += a - nc * m / n;
            variance += nb * nc * m * (n - m) / (n * n * (n - 1));
            orNum += a * d / n;
            orDen += b * c / n;
            rrNum += a * nb / n;
            rrDen += c * nc / n;
            var w = nb * nc / n;
            rdNum += w * (a / nc - c / nb);
            weights += w;
        }
        if (used == 0)
        {
            return new MantelHaenszelResult(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, "no stratum has requests on both sides");
        }
        double statistic, p;
        if (variance <= 0)
        {
            // No events anywhere, or only events: nothing to associate.
            (statistic, p) = (0, 1);
        }
        else
        {
            var numerator = Math.Abs(deviation) - (continuityCorrection ? 0.5 : 0); // as statsmodels, also below 0.5
            statistic = numerator * numerator / variance;
            p = StandardNormal.TwoSidedPValue(Math.Sqrt(statistic));
        }
        return new MantelHaenszelResult(statistic, p,
            orDen > 0 ? orNum / orDen : double.NaN,
            rrDen > 0 ? rrNum / rrDen : double.NaN,
            rdNum / weights, used, null);
    }
}

/// <summary>The Cochran–Mantel–Haenszel test and the Mantel–Haenszel pooled effects.</summary>
/// <param name="Statistic">The CMH chi-square statistic (1 df).</param>
/// <param name="PValue">Its p-value.</param>
/// <param name="OddsRatio">Pooled odds ratio, canary over baseline (NaN when undefined).</param>
/// <param name="RiskRatio">Pooled risk ratio, canary over baseline (NaN when the baseline has no events).</param>
/// <param name="RiskDifference">Pooled risk difference, canary − baseline.</param>
/// <param name="Strata">Strata that contributed.</param>
/// <param name="NotComputableReason">Why nothing could be computed, or null.</param>
internal readonly record struct MantelHaenszelResult(double Statistic, double PValue, double OddsRatio, double RiskRatio,
    double RiskDifference, int Strata, string? NotComputableReason)
{
    /// <summary>True when at least one stratum contributed.</summary>
    public bool IsComputable => NotComputableReason is null;
}
