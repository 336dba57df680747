#!/usr/bin/python3
"""Reference values for the stratified (per-model) statistics: MantelHaenszel and StratifiedCombination.

HOW TO REGENERATE
    apt-get install -y python3-scipy python3-statsmodels python3-numpy
    cd <repository root>
    /usr/bin/python3 tests/LogAnalytics.Tests/Statistics/reference/make_stratified_reference.py
    git diff tests/LogAnalytics.Tests/Fixtures/statistics/stratified.json

(/usr/bin/python3, the Debian interpreter, not a pyenv python3 on PATH.) Fixed seed: the output is stable for given
numpy / scipy / statsmodels versions, which are written into the fixture. The tests read the JSON only.

WHAT EACH VALUE IS CHECKED AGAINST
    kind "cmh"      statsmodels.stats.contingency_tables.StratifiedTable(tables) with each table
                    [[canary_errors, canary_ok], [baseline_errors, baseline_ok]]:
                    test_null_odds(correction=False / True).statistic / .pvalue, oddsratio_pooled, riskratio_pooled.
                    mh_risk_difference: python RE-IMPLEMENTATION (statsmodels has no Mantel-Haenszel risk
                    difference): sum(w_k (p_ck - p_bk)) / sum(w_k), w_k = n_bk n_ck / N_k (Greenland & Robins 1985).
    kind "combine"  statsmodels.stats.meta_analysis.combine_effects(effect, variance, use_t=False):
                    mean_effect_fe and var_eff_w_fe, the fixed-effect (inverse-variance) combination; the C# code
                    combines with weights 1/V_k through the same weighted-mean path that takes Mantel-Haenszel weights.
"""

import json
import os
import sys
import warnings

import numpy as np
import scipy
import statsmodels
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.meta_analysis import combine_effects

SEED = 20261201
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Fixtures", "statistics", "stratified.json"))
rng = np.random.default_rng(SEED)


def cmh_case(name, strata):
    """strata: list of (baseline_errors, baseline_total, canary_errors, canary_total)."""
    tables = [np.array([[xc, nc - xc], [xb, nb - xb]], dtype=float) for xb, nb, xc, nc in strata]
    st = StratifiedTable(tables)
    plain = st.test_null_odds(correction=False)
    corrected = st.test_null_odds(correction=True)
    w = np.array([nb * nc / (nb + nc) for xb, nb, xc, nc in strata], dtype=float)
    d = np.array([xc / nc - xb / nb for xb, nb, xc, nc in strata], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = float(st.oddsratio_pooled)
        risk = float(st.riskratio_pooled)
    return {"name": name, "kind": "cmh", "strata": [list(map(int, s)) for s in strata],
            "statistic": float(plain.statistic), "p_value": float(plain.pvalue),
            "statistic_corrected": float(corrected.statistic), "p_value_corrected": float(corrected.pvalue),
            "odds_ratio": odds if np.isfinite(odds) else None, "risk_ratio": risk if np.isfinite(risk) else None,
            "mh_risk_difference": float(np.sum(w * d) / np.sum(w))}


def cmh_cases():
    cases = [
        cmh_case("two_models_same_rates", [(200, 10000, 10, 500), (50, 10000, 3, 500)]),
        cmh_case("canary_worse_in_both", [(200, 10000, 20, 500), (50, 10000, 8, 500)]),
        cmh_case("simpson_mix_differs", [(400, 8000, 10, 200), (20, 2000, 8, 800)]),
        cmh_case("three_models_unequal", [(12, 3000, 2, 150), (90, 4500, 6, 240), (7, 600, 1, 30)]),
        cmh_case("zero_baseline_errors_one_stratum", [(0, 1000, 1, 60), (15, 900, 2, 50)]),
        cmh_case("large_counts", [(123456, 10 ** 7, 6300, 500000), (4000, 2 * 10 ** 6, 230, 100000)]),
    ]
    for k in range(4):
        strata = []
        for _ in range(int(rng.integers(2, 7))):
            nb = int(rng.integers(50, 20000))
            nc = int(rng.integers(20, 3000))
            p = float(rng.uniform(0.002, 0.2))
            strata.append((int(rng.binomial(nb, p)), nb, int(rng.binomial(nc, p * rng.uniform(0.7, 1.6))), nc))
        cases.append(cmh_case(f"cmh_random_{k}", strata))
    return cases


def combine_cases():
    cases = []
    sets = [
        ("two_strata", [0.05, -0.02], [0.0004, 0.0009]),
        ("three_log_ratios", [0.10, 0.02, 0.07], [0.0025, 0.0004, 0.0100]),
        ("one_stratum", [0.031], [0.00017]),
    ]
    for k in range(3):
        n = int(rng.integers(2, 9))
        sets.append((f"combine_random_{k}", list(map(float, rng.normal(0, 0.1, n))), list(map(float, rng.uniform(1e-5, 0.01, n)))))
    for name, eff, var in sets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # one stratum: heterogeneity statistics divide by df = 0
            res = combine_effects(np.array(eff), np.array(var), use_t=False)
        cases.append({"name": name, "kind": "combine", "effects": eff, "variances": var,
                      "estimate": float(res.mean_effect_fe), "variance": float(res.var_eff_w_fe)})
    return cases


def main():
    head = {
        "generator": "tests/LogAnalytics.Tests/Statistics/reference/make_stratified_reference.py",
        "seed": SEED,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                     "statsmodels": statsmodels.__version__},
        "reference": "statsmodels StratifiedTable (CMH test, MH odds and risk ratio); MH risk difference re-implemented; "
                     "statsmodels meta_analysis.combine_effects (fixed effect)",
    }
    cases = cmh_cases() + combine_cases()
    parts = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()]
    parts.append(' "cases": [\n' + ",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in cases) + "\n ]")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")
    print(f"stratified.json: {len(cases)} cases")


if __name__ == "__main__":
    main()
