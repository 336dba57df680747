#!/usr/bin/python3
"""Reference values for the sequential SRM test and the Farrington-Manning restricted rates (issue 10).

HOW TO REGENERATE
    cd <repository root>
    /usr/bin/python3 tests/LogAnalytics.Tests/Statistics/reference/make_srm_reference.py

Only mpmath (arbitrary precision, 50 digits) is used, so the values are independent of the C# code's double-precision
log-gamma (MathNet) and of the cubic closed form it uses:
    dirichlet_multinomial.json  ln BF = ln G(sum a) - ln G(sum a + n) + sum [ln G(a_i + x_i) - ln G(a_i) - x_i ln theta_i]
                                with mpmath.loggamma (Lindon & Malek 2022, eq. for the Dirichlet-multinomial mixture).
    farrington_manning.json     the restricted MLE found by maximising the binomial log-likelihood over p2 with
                                p1 = p2 + delta NUMERICALLY (mpmath.findroot on the score equation, bracketed), not by
                                the closed form; and the score statistic built from it.
"""
import json
import os

import mpmath

mpmath.mp.dps = 50
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "statistics")


def write(name, reference, cases):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump({"reference": reference, "mpmath": mpmath.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


def log_bf(counts, theta, prior):
    n = sum(counts)
    s = mpmath.loggamma(sum(prior)) - mpmath.loggamma(sum(prior) + n)
    for x, t, a in zip(counts, theta, prior):
        s += mpmath.loggamma(a + x) - mpmath.loggamma(a) - x * mpmath.log(t)
    return s


def dirichlet_multinomial():
    cases = []
    for nb, nc, w, tol in ((95, 5, 0.05, 0.1), (19000, 1000, 0.05, 0.1), (18800, 1200, 0.05, 0.1),
                           (9_495_000, 505_000, 0.05, 0.1), (500, 500, 0.5, 0.1), (7400, 2600, 0.25, 0.05),
                           (0, 3, 0.05, 0.1)):
        w_m = mpmath.mpf(w)
        c = (1 - w_m) / (mpmath.mpf(tol) ** 2 * w_m)
        prior = [c * (1 - w_m), c * w_m]
        value = log_bf([nb, nc], [1 - w_m, w_m], prior)
        cases.append({"name": f"dm_{nb}_{nc}_{w}_{tol}", "baseline": nb, "canary": nc, "weight": w, "tolerance": tol,
                      "log_bayes_factor": float(value)})
    write("dirichlet_multinomial.json", "mpmath.loggamma closed form of the Dirichlet-multinomial Bayes factor", cases)


def restricted(x1, n1, x2, n2, delta):
    x1, n1, x2, n2, delta = map(mpmath.mpf, (x1, n1, x2, n2, delta))
    lo = max(mpmath.mpf(0), -delta) + mpmath.mpf(10) ** -30
    hi = min(mpmath.mpf(1), 1 - delta) - mpmath.mpf(10) ** -30

    def score(p2):
        p1 = p2 + delta
        return x1 / p1 - (n1 - x1) / (1 - p1) + x2 / p2 - (n2 - x2) / (1 - p2)

    # The log-likelihood is concave in p2, so the score decreases: bisect to 45 digits.
    for _ in range(400):
        mid = (lo + hi) / 2
        if score(mid) > 0:
            lo = mid
        else:
            hi = mid
    p2 = (lo + hi) / 2
    return p2 + delta, p2


def farrington_manning():
    cases = []
    for x1, n1, x2, n2, d in ((12, 200, 150, 3800, 0.005), (60, 1000, 380, 19000, 0.005), (1, 1, 8, 400, 0.005),
                              (3, 500, 40, 9500, 0.01), (20, 1000, 30, 1000, -0.02), (50, 2000, 2, 38000, 0.005)):
        p1, p2 = restricted(x1, n1, x2, n2, d)
        var = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        z = (mpmath.mpf(x1) / n1 - mpmath.mpf(x2) / n2 - d) / mpmath.sqrt(var)
        cases.append({"name": f"fm_{x1}_{n1}_{x2}_{n2}_{d}", "x1": x1, "n1": n1, "x2": x2, "n2": n2, "delta": d,
                      "p1": float(p1), "p2": float(p2), "z": float(z)})
    write("farrington_manning.json", "restricted MLE by bisection of the score equation in mpmath (50 digits)", cases)


if __name__ == "__main__":
    dirichlet_multinomial()
    farrington_manning()
