"""Speed of the sampler checks' Kolmogorov-Smirnov step: ``_ks_pvalue`` against ``scipy.stats.ks_1samp``.

The checks of the sampling exercises run KS tests of every whitened coordinate and of the squared radius
(``course_utils._sampler_tests``); the false-fail tests run them thousands of times. This prints, for
samples of the notebooks' sizes, the median time of each way and their ratio, measured side by side in one
process, and the largest p-value difference (they must agree).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_checks.py
"""

import numpy as np
from _timing import Timer
from scipy import special, stats

from course_utils import _sampler_tests as st

REPEATS = 7
CALLS = 50


def median_seconds(fn, xs) -> float:
    times = []
    for _ in range(REPEATS):
        with Timer() as t:
            for x in xs:
                fn(x)
        times.append(t.cpu / len(xs))
    return float(np.median(times))


def main():
    rng = np.random.default_rng(0)
    print(f"{'n':>7} {'scipy ks_1samp':>15} {'_ks_pvalue':>11} {'ratio':>6} {'largest |dp|':>13}")
    for n in (1_000, 5_000, 20_000):
        xs = [rng.standard_normal(n) for _ in range(CALLS)]
        scipy_s = median_seconds(lambda x: stats.ks_1samp(x, stats.norm.cdf).pvalue, xs)
        ours_s = median_seconds(lambda x: st._ks_pvalue(special.ndtr(x)), xs)
        gap = max(abs(stats.ks_1samp(x, stats.norm.cdf).pvalue - st._ks_pvalue(special.ndtr(x))) for x in xs)
        print(f"{n:>7} {1e3 * scipy_s:>12.2f} ms {1e3 * ours_s:>8.2f} ms {scipy_s / ours_s:>5.1f}x {gap:>13.1e}")


if __name__ == "__main__":
    main()
