#!/usr/bin/python3
"""Reference values for the LogAnalytics.Statistics unit tests.

HOW TO REGENERATE
    apt-get update && apt-get install -y python3-scipy python3-statsmodels python3-numpy python3-mpmath
    cd <repository root>
    /usr/bin/python3 tests/LogAnalytics.Tests/Statistics/reference/make_reference.py
    git diff tests/LogAnalytics.Tests/Fixtures/statistics/

Use /usr/bin/python3 (the Debian interpreter the packages above install into), not a pyenv python3 on PATH.
The data sets come from a fixed seed, so the output is byte-for-byte stable for a given scipy / statsmodels /
numpy version; the versions are written into every fixture. The tests read the JSON files only and never run
python.

WHAT EACH FIXTURE IS CHECKED AGAINST
    mann_whitney_u.json       scipy.stats.mannwhitneyu(baseline, canary, alternative="two-sided",
                              method="asymptotic", use_continuity=True)
    two_proportion_ztest.json statsmodels proportions_ztest([x_canary, x_baseline], [n_canary, n_baseline])
                              (canary first, so z > 0 means the canary has the higher rate)
    wilson.json               statsmodels proportion_confint(x, n, alpha, method="wilson")
    newcombe.json             statsmodels confint_proportions_2indep(x_canary, n_canary, x_baseline, n_baseline,
                              method="newcomb", compare="diff", alpha)
    chisquare.json            scipy.stats.chisquare(f_obs, f_exp)
    holm.json                 statsmodels multipletests(p, method="holm")[1]
    welch.json                t, p: scipy.stats.ttest_ind(canary, baseline, equal_var=False);
                              df and CI for mean(canary) - mean(baseline): statsmodels CompareMeans
                              .ttest_ind(usevar="unequal") and .tconfint_diff(usevar="unequal")
                              (scipy 1.10 has no df / confidence_interval() on the ttest_ind result).
                              statsmodels takes its t quantile from scipy 1.10's stdtrit (cdflib), which is only
                              good to ~1e-9 relative for non-integer df, so the fixture also holds t_critical
                              solved with mpmath at 40 digits and the bounds built from it (lower_exact,
                              upper_exact); the tests hold the first to 1e-7 and the second to 1e-9.
    hodges_lehmann.json       python RE-IMPLEMENTATION (not a library): all m*n pairwise differences
                              materialised with numpy, order statistics by np.sort / np.median, tie-corrected
                              sigma of U, z from scipy.stats.norm.ppf. It checks the C# selection algorithm
                              (which never materialises the differences) and the rank arithmetic, not the
                              choice of method; the method is checked by a coverage simulation in the tests.
    quantile_difference.json  python RE-IMPLEMENTATION: numpy.quantile (default 'linear' = Hyndman-Fan type 7),
                              order-statistic indices from scipy.stats.binom.ppf (verified against the cdf),
                              exact coverage from scipy.stats.binom.cdf, z from scipy.stats.norm.ppf.
    distributions.json        scipy.stats.norm.sf / norm.ppf, scipy.stats.binom.cdf / binom.ppf (the building blocks)
    msprt.json                plain numpy formulas (+ scipy.optimize.brentq for the one-sided bound). This only
                              checks ARITHMETIC of the closed forms; validity is checked by simulation in the tests.
"""

import json
import math
import os
import sys

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (confint_proportions_2indep, proportion_confint,
                                          proportions_ztest)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Fixtures", "statistics"))

rng = np.random.default_rng(SEED)


def fnum(v):
    """JSON number or null for a non-finite value (JSON has no NaN / Infinity)."""
    v = float(v)
    return v if math.isfinite(v) else None


def flist(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


def write(name, reference, cases, data_sets=None, note=None):
    """One fixture file. Samples live once under "data_sets" (cases refer to them by name) and every case and
    every data set is written on one line, which keeps the files small and the diffs readable."""
    head = {
        "generator": "tests/LogAnalytics.Tests/Statistics/reference/make_reference.py",
        "seed": SEED,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                     "statsmodels": statsmodels.__version__},
        "reference": reference,
    }
    if note:
        head["note"] = note
    parts = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()]
    if data_sets:
        rows = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in data_sets.items())
        parts.append(' "data_sets": {\n' + rows + "\n }")
    rows = ",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in cases)
    parts.append(' "cases": [\n' + rows + "\n ]")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")
    print(f"{name}: {len(cases)} cases")


def latencies(n, median_ms=120.0, sigma=0.5, decimals=1):
    """Lognormal latencies rounded to `decimals`, so large samples contain ties as real logs do."""
    return np.round(rng.lognormal(math.log(median_ms), sigma, n), decimals)


# --------------------------------------------------------------------------------------------------------------
# Two-sample data sets shared by Mann-Whitney, Hodges-Lehmann and Welch.
# --------------------------------------------------------------------------------------------------------------
def two_sample_sets():
    s = []
    s.append(("n1_vs_n1_distinct", [10.0], [12.0]))
    s.append(("n1_vs_n1_identical", [7.0], [7.0]))
    s.append(("n1_vs_n5", [3.0], [1.0, 2.0, 4.0, 5.0, 6.0]))
    s.append(("n2_vs_n3", [1.5, 2.5], [2.0, 3.0, 4.0]))
    s.append(("n3_vs_n3_ties", [1.0, 2.0, 2.0], [2.0, 2.0, 3.0]))
    s.append(("n4_vs_n5", [10.0, 11.0, 13.0, 15.0], [12.0, 14.0, 16.0, 18.0, 19.0]))
    s.append(("n5_vs_n5_all_identical", [4.0] * 5, [4.0] * 5))
    s.append(("n5_vs_n4_negative_values", [-3.2, -1.0, 0.0, 0.5, 2.25], [-0.5, 1.5, 2.0, 4.0]))
    s.append(("n20_vs_n30_shift", flist(np.round(rng.normal(100, 15, 20), 3)),
              flist(np.round(rng.normal(110, 15, 30), 3))))
    s.append(("n50_vs_n40_integer_ms_heavy_ties", flist(latencies(50, 40, 0.3, 0)),
              flist(latencies(40, 42, 0.3, 0))))
    s.append(("n10_vs_n300_unequal", flist(latencies(10)), flist(latencies(300, 130))))
    s.append(("n200_vs_n200_fully_separated", flist(np.round(rng.uniform(0, 1, 200), 6)),
              flist(np.round(rng.uniform(2, 3, 200), 6))))
    s.append(("n6000_vs_n5000_small_shift", flist(latencies(6000, 120)), flist(latencies(5000, 123))))
    s.append(("n5000_vs_n8000_same_distribution", flist(latencies(5000, 80, 0.8, 0)),
              flist(latencies(8000, 80, 0.8, 0))))
    return s


TWO_SAMPLE = two_sample_sets()


def data_of(sets):
    """Data sets named "<set>/baseline" and "<set>/canary" for the `data_sets` section of a fixture."""
    out = {}
    for name, x, y in sets:
        out[f"{name}/baseline"] = flist(x)
        out[f"{name}/canary"] = flist(y)
    return out


def mann_whitney():
    cases = []
    for name, x, y in TWO_SAMPLE:
        r = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
        cases.append({"name": name, "baseline": f"{name}/baseline", "canary": f"{name}/canary", "u": fnum(r.statistic), "p_value": fnum(r.pvalue)})
    write("mann_whitney_u.json",
          "scipy.stats.mannwhitneyu(baseline, canary, alternative='two-sided', method='asymptotic', "
          "use_continuity=True); u = U of the first (baseline) sample", cases, data_of(TWO_SAMPLE))


def tie_sigma(x, y):
    m, n = len(x), len(y)
    big_n = m + n
    _, t = np.unique(np.concatenate([x, y]), return_counts=True)
    t = t.astype(float)
    tie = float(np.sum(t ** 3 - t))
    inner = (big_n + 1) - (tie / (big_n * (big_n - 1)) if big_n > 1 else 0.0)
    return math.sqrt(m * n / 12.0 * inner)


def hodges_lehmann():
    cases = []
    for name, x, y in TWO_SAMPLE:
        xa, ya = np.asarray(x), np.asarray(y)
        diffs = np.subtract.outer(ya, xa).ravel()  # canary minus baseline
        total = diffs.size
        estimate = float(np.median(diffs))
        for alpha in (0.05, 0.10):
            z = float(stats.norm.ppf(1 - alpha / 2))
            sigma = tie_sigma(xa, ya)
            k = math.floor(total / 2.0 + 0.5 - z * sigma)
            case = {"name": f"{name}_alpha{alpha}", "baseline": f"{name}/baseline", "canary": f"{name}/canary", "alpha": alpha,
                    "estimate": estimate, "sigma_u": sigma}
            if k >= 1:
                lo_idx, hi_idx = k - 1, total - k  # 0-based order statistics D_(k), D_(N+1-k)
                part = np.partition(diffs, [lo_idx, hi_idx])
                case.update({"lower_rank": k, "upper_rank": total + 1 - k,
                             "lower": float(part[lo_idx]), "upper": float(part[hi_idx])})
            else:
                case.update({"lower_rank": None, "upper_rank": None, "lower": None, "upper": None})
            cases.append(case)
    write("hodges_lehmann.json",
          "python re-implementation: estimate = numpy.median of all m*n differences canary_j - baseline_i; "
          "CI = [D_(k), D_(N+1-k)], k = floor(N/2 + 1/2 - z*sigma_U), z = scipy.stats.norm.ppf(1 - alpha/2), "
          "sigma_U tie-corrected over the pooled sample; k < 1 -> no finite interval (null bounds)", cases,
          data_of(TWO_SAMPLE))


def binom_ppf(p, n, q):
    k = int(stats.binom.ppf(p, n, q))
    # scipy's discrete ppf: smallest k with cdf(k) >= p. Check it, so the fixture is what it claims to be.
    assert stats.binom.cdf(k, n, q) >= p and (k == 0 or stats.binom.cdf(k - 1, n, q) < p), (p, n, q, k)
    return k


def quantile_se(values, q, level=0.95):
    xs = np.sort(np.asarray(values, dtype=float))
    n = xs.size
    a = 1 - level
    lo = max(binom_ppf(a / 2, n, q), 1)
    hi = min(binom_ppf(1 - a / 2, n, q) + 1, n)
    est = float(np.quantile(xs, q))
    if lo >= hi:
        return {"value": est, "computable": False, "lower_order": lo, "upper_order": hi}
    cover = float(stats.binom.cdf(hi - 1, n, q) - stats.binom.cdf(lo - 1, n, q))
    z = float(stats.norm.ppf((1 + cover) / 2))
    se = float((xs[hi - 1] - xs[lo - 1]) / (2 * z))
    return {"value": est, "computable": True, "lower_order": lo, "upper_order": hi, "coverage": cover,
            "standard_error": se}


def quantile_difference():
    sets = [
        ("n1_vs_n1", [10.0], [12.0]),
        ("n2_vs_n3", [10.0, 14.0], [11.0, 15.0, 19.0]),
        ("n5_vs_n5", [10.0, 12.0, 13.0, 15.0, 20.0], [11.0, 12.5, 14.0, 18.0, 30.0]),
        ("n30_vs_n20", flist(latencies(30)), flist(latencies(20, 140))),
        ("n500_vs_n2000_integer_ms", flist(latencies(500, 60, 0.7, 0)), flist(latencies(2000, 66, 0.7, 0))),
        ("n6000_vs_n5000", flist(latencies(6000, 120, 0.6)), flist(latencies(5000, 118, 0.65))),
        ("n100_vs_n100_with_zero_latencies", flist(np.maximum(0.0, latencies(100, 5, 1.5, 0) - 3)),
         flist(np.maximum(0.0, latencies(100, 5, 1.5, 0) - 3))),
    ]
    cases = []
    for name, x, y in sets:
        for q in (0.5, 0.9, 0.95, 0.99):
            for alpha in (0.05, 0.10):
                b = quantile_se(x, q)
                c = quantile_se(y, q)
                case = {"name": f"{name}_q{q}_alpha{alpha}", "baseline": f"{name}/baseline", "canary": f"{name}/canary", "q": q, "alpha": alpha,
                        "baseline_quantile": b, "canary_quantile": c}
                if b["computable"] and c["computable"]:
                    z = float(stats.norm.ppf(1 - alpha / 2))
                    diff = c["value"] - b["value"]
                    var = b["standard_error"] ** 2 + c["standard_error"] ** 2
                    case.update({"difference": diff, "difference_variance": var,
                                 "difference_lower": diff - z * math.sqrt(var),
                                 "difference_upper": diff + z * math.sqrt(var)})
                    if b["value"] > 0 and c["value"] > 0:
                        lr = math.log(c["value"] / b["value"])
                        lv = (b["standard_error"] / b["value"]) ** 2 + (c["standard_error"] / c["value"]) ** 2
                        case.update({"log_ratio": lr, "log_ratio_variance": lv,
                                     "relative_change": math.exp(lr) - 1,
                                     "relative_lower": math.exp(lr - z * math.sqrt(lv)) - 1,
                                     "relative_upper": math.exp(lr + z * math.sqrt(lv)) - 1})
                cases.append(case)
    write("quantile_difference.json",
          "python re-implementation: numpy.quantile(x, q) (method 'linear', Hyndman-Fan type 7); per group "
          "l = max(1, binom.ppf(0.025; n, q)), u = min(n, binom.ppf(0.975; n, q) + 1) (1-based order statistics), "
          "coverage = binom.cdf(u-1) - binom.cdf(l-1), se = (x_(u) - x_(l)) / (2 * norm.ppf((1 + coverage)/2)); "
          "difference CI = d +- norm.ppf(1-alpha/2) * sqrt(se_b^2 + se_c^2); relative change CI = "
          "exp(log ratio +- z * sqrt((se_b/Q_b)^2 + (se_c/Q_c)^2)) - 1", cases, data_of(sets))


def two_proportion():
    sets = [(20, 10000, 35, 10000), (0, 500, 3, 400), (5, 5, 3, 4), (1, 1, 0, 1), (123456, 10 ** 7, 125000, 10 ** 7),
            (2, 200000, 9, 50000), (400, 20000, 400, 20000), (7, 1000, 0, 1000), (30, 30, 29, 30)]
    cases = []
    for xb, nb, xc, nc in sets:
        z, p = proportions_ztest([xc, xb], [nc, nb])
        cases.append({"name": f"b{xb}of{nb}_c{xc}of{nc}", "baseline_events": xb, "baseline_total": nb,
                      "canary_events": xc, "canary_total": nc, "z": fnum(z), "p_value": fnum(p)})
    write("two_proportion_ztest.json",
          "statsmodels.stats.proportion.proportions_ztest([canary_events, baseline_events], "
          "[canary_total, baseline_total]) (pooled, two-sided); z > 0 means canary rate higher", cases)


def wilson():
    sets = [(0, 1), (1, 1), (0, 10), (10, 10), (3, 10), (0, 20000), (20000, 20000), (17, 20000), (5, 7),
            (123456, 10 ** 7), (1, 3)]
    cases = []
    for x, n in sets:
        for alpha in (0.05, 0.10, 0.01):
            lo, hi = proportion_confint(x, n, alpha=alpha, method="wilson")
            cases.append({"name": f"{x}of{n}_alpha{alpha}", "events": x, "total": n, "alpha": alpha,
                          "lower": fnum(lo), "upper": fnum(hi)})
    write("wilson.json", "statsmodels.stats.proportion.proportion_confint(x, n, alpha, method='wilson')", cases)


def newcombe():
    sets = [(20, 10000, 35, 10000), (0, 500, 3, 400), (0, 1000, 0, 1000), (50, 50, 40, 40), (5, 5, 3, 4),
            (1, 1, 0, 1), (123456, 10 ** 7, 125000, 10 ** 7), (7, 1000, 0, 1000), (0, 20000, 20000, 20000)]
    cases = []
    for xb, nb, xc, nc in sets:
        for alpha in (0.05, 0.10):
            lo, hi = confint_proportions_2indep(xc, nc, xb, nb, method="newcomb", compare="diff", alpha=alpha)
            cases.append({"name": f"b{xb}of{nb}_c{xc}of{nc}_alpha{alpha}", "baseline_events": xb,
                          "baseline_total": nb, "canary_events": xc, "canary_total": nc, "alpha": alpha,
                          "lower": fnum(lo), "upper": fnum(hi)})
    write("newcombe.json",
          "statsmodels.stats.proportion.confint_proportions_2indep(canary_events, canary_total, baseline_events, "
          "baseline_total, method='newcomb', compare='diff', alpha) -> CI for p_canary - p_baseline", cases)


def chisquare():
    sets = [
        ("srm_balanced_ok", [5000, 5100], [0.5, 0.5]),
        ("srm_90_10_ok", [9000, 1050], [0.9, 0.1]),
        ("srm_95_5_mismatch", [95600, 4400], [0.95, 0.05]),
        ("exact_match", [300, 100], [0.75, 0.25]),
        ("three_categories", [120, 95, 285], [0.25, 0.2, 0.55]),
        ("gross_mismatch", [100000, 1000], [0.5, 0.5]),
        ("tiny_counts", [1, 0], [0.5, 0.5]),
        ("one_percent_canary", [990300, 9700], [0.99, 0.01]),
    ]
    cases = []
    for name, obs, w in sets:
        obs_a = np.asarray(obs, dtype=float)
        w_a = np.asarray(w, dtype=float)
        exp = obs_a.sum() * w_a / w_a.sum()
        r = stats.chisquare(obs_a, exp)
        cases.append({"name": name, "observed": flist(obs_a), "weights": flist(w_a), "expected": flist(exp),
                      "statistic": fnum(r.statistic), "p_value": fnum(r.pvalue)})
    write("chisquare.json", "scipy.stats.chisquare(f_obs, f_exp) with f_exp = sum(f_obs) * weights / sum(weights)",
          cases)


def holm():
    sets = [
        ("single", [0.03]),
        ("three_mixed", [0.01, 0.04, 0.03]),
        ("ties", [0.01, 0.01, 0.02, 0.02]),
        ("with_ones_and_zero", [1.0, 0.0, 0.5, 1.0]),
        ("capped_at_one", [0.4, 0.5, 0.6]),
        ("tiny", [1e-300, 1e-12, 0.2]),
        ("random_20", flist(rng.uniform(0, 0.2, 20))),
        ("random_100_beta", flist(rng.beta(0.3, 2.0, 100))),
    ]
    cases = []
    for name, p in sets:
        adj = multipletests(p, method="holm")[1]
        cases.append({"name": name, "p_values": flist(p), "adjusted": flist(adj)})
    write("holm.json", "statsmodels.stats.multitest.multipletests(p, method='holm')[1]", cases)


def t_two_sided_critical(alpha, df):
    """t with P(|T_df| > t) = alpha, solved in 40-digit arithmetic (scipy 1.10's t.ppf is good to ~1e-9 only)."""
    mpmath.mp.dps = 40
    nu = mpmath.mpf(df)
    start = float(stats.t.isf(alpha / 2, df))
    f = lambda t: mpmath.betainc(nu / 2, mpmath.mpf(1) / 2, 0, nu / (nu + t * t), regularized=True) - mpmath.mpf(alpha)
    return float(mpmath.findroot(f, mpmath.mpf(start)))


def welch():
    sets = [(name, x, y) for name, x, y in TWO_SAMPLE
            if len(x) >= 2 and len(y) >= 2 and (np.var(x) > 0 or np.var(y) > 0)]
    sets.append(("cost_per_request_unequal_variance", flist(np.round(rng.gamma(2.0, 0.0005, 800), 7)),
                 flist(np.round(rng.gamma(1.2, 0.0011, 250), 7))))
    sets.append(("one_constant_sample", [2.0, 2.0, 2.0], [1.0, 2.5, 4.0, 3.0]))
    cases = []
    for name, x, y in sets:
        for alpha in (0.05, 0.10):
            r = stats.ttest_ind(y, x, equal_var=False)
            cm = CompareMeans(DescrStatsW(np.asarray(y)), DescrStatsW(np.asarray(x)))
            t_sm, p_sm, df = cm.ttest_ind(usevar="unequal")
            lo, hi = cm.tconfint_diff(alpha=alpha, usevar="unequal")
            assert abs(t_sm - r.statistic) <= 1e-9 * abs(r.statistic) + 1e-12
            t_crit = t_two_sided_critical(alpha, df)
            se = float(cm.std_meandiff_separatevar)
            diff = float(np.mean(y) - np.mean(x))
            cases.append({"name": f"{name}_alpha{alpha}", "baseline": f"{name}/baseline", "canary": f"{name}/canary", "alpha": alpha,
                          "t": fnum(r.statistic), "p_value": fnum(r.pvalue), "df": fnum(df),
                          "mean_difference": diff, "lower": fnum(lo), "upper": fnum(hi), "t_critical": t_crit,
                          "lower_exact": diff - t_crit * se, "upper_exact": diff + t_crit * se})
    write("welch.json",
          "t, p: scipy.stats.ttest_ind(canary, baseline, equal_var=False); df, CI for mean(canary) - "
          "mean(baseline): statsmodels CompareMeans(canary, baseline).ttest_ind / tconfint_diff(usevar='unequal'); "
          "t_critical: mpmath 40-digit root of betainc(df/2, 1/2, df/(df+t^2)) = alpha, lower/upper_exact = "
          "mean_difference -+ t_critical * se",
          cases, data_of(sets))


def msprt():
    def log_lr(d, v, tau2):
        return 0.5 * math.log(v / (v + tau2)) + tau2 * d * d / (2 * v * (v + tau2))

    def log_lr_one_sided(d, v, tau2):
        u = d * math.sqrt(tau2) / math.sqrt(v * (v + tau2))
        return math.log(2.0) + float(stats.norm.logcdf(u)) + log_lr(d, v, tau2)

    grid = [
        (0.0010, 2.0e-6, 0.0, 8.0e-6, 0.05),
        (0.0050, 2.0e-6, 0.0, 8.0e-6, 0.05),
        (-0.0042, 2.0e-6, 0.0, 1.0e-5, 0.05),
        (0.0, 2.0e-6, 0.0, 8.0e-6, 0.05),
        (12.5, 16.0, 0.0, 100.0, 0.05),
        (12.5, 16.0, 5.0, 100.0, 0.01),
        (0.08, 0.0004, 0.02, 0.01, 0.10),
        (-0.03, 1.0e-4, 0.01, 1.0e-4, 0.05),
        (0.3, 1.0e-3, 0.0, 1.0e-2, 0.05),  # very large evidence: log LR ~ 40
    ]
    cases = []
    for est, v, theta0, tau2, alpha in grid:
        d = est - theta0
        llr = log_lr(d, v, tau2)
        half = math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / alpha) + math.log((v + tau2) / v)))
        target = math.log(1 / alpha)
        hi_d = half
        dstar = optimize.brentq(lambda dd: log_lr_one_sided(dd, v, tau2) - target, 0.0, hi_d * 1.0001,
                                xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        p_greater = min(1.0, math.exp(-log_lr_one_sided(d, v, tau2)))
        p_less = min(1.0, math.exp(-log_lr_one_sided(-d, v, tau2)))
        cases.append({"name": f"est{est}_v{v}_null{theta0}_tau2{tau2}_alpha{alpha}", "estimate": est,
                      "variance": v, "null_value": theta0, "mixture_variance": tau2, "alpha": alpha,
                      "log_likelihood_ratio": llr, "p_value": min(1.0, math.exp(-llr)),
                      "lower": est - half, "upper": est + half,
                      "one_sided_half_width": dstar, "one_sided_lower": est - dstar, "one_sided_upper": est + dstar,
                      "p_value_greater": p_greater, "p_value_less": p_less})
    write("msprt.json",
          "plain numpy/math formulas of the normal-mixture mSPRT (two-sided) and of the half-normal one-sided "
          "mixture (scipy.optimize.brentq for its boundary); checks arithmetic only, not validity", cases)


def distributions():
    cases = []
    for z in (-8.0, -1.5, 0.0, 0.3, 1.959963984540054, 5.0, 8.0, 20.0, 37.5):
        cases.append({"name": f"norm_sf_{z}", "kind": "norm_sf", "x": z, "value": float(stats.norm.sf(z))})
    for p in (1e-300, 1e-12, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999):
        cases.append({"name": f"norm_ppf_{p}", "kind": "norm_ppf", "x": p, "value": float(stats.norm.ppf(p))})
    for n, q in ((1, 0.5), (5, 0.5), (20, 0.99), (500, 0.99), (2000, 0.95), (100000, 0.5), (123457, 0.999)):
        for prob in (0.025, 0.975):
            cases.append({"name": f"binom_ppf_{prob}_{n}_{q}", "kind": "binom_ppf", "n": n, "q": q, "x": prob,
                          "value": float(binom_ppf(prob, n, q))})
        for k in sorted({0, n // 3, int(n * q) - 1, int(n * q), n - 1}):
            if 0 <= k <= n:
                cases.append({"name": f"binom_cdf_{k}_{n}_{q}", "kind": "binom_cdf", "n": n, "q": q, "x": k,
                              "value": float(stats.binom.cdf(k, n, q))})
    write("distributions.json", "scipy.stats.norm.sf / norm.ppf and scipy.stats.binom.cdf / binom.ppf", cases)


if __name__ == "__main__":
    distributions()
    mann_whitney()
    hodges_lehmann()
    quantile_difference()
    two_proportion()
    wilson()
    newcombe()
    chisquare()
    holm()
    welch()
    msprt()
