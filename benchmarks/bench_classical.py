"""Speed of course_utils.mixtures and course_utils.hmm against scikit-learn and hmmlearn.

Run from the repository root:

    python benchmarks/bench_classical.py

Everything runs in one process, one BLAS thread (``threadpoolctl.threadpool_limits(1)``), single-threaded
Numba kernels, the two libraries measured side by side on the same data; every time is the median of 5
repeats after a warm-up call (which also compiles or loads the Numba kernels). A ratio below 1 means
course_utils is faster.

- EM: seconds per iteration, measured as (time of 21 iterations - time of 1 iteration) / 20 from the same
  starting parameters, so that initialisation and set-up cancel out.
- HMM forward + backward: observations -> log-likelihood and posteriors (``emission_log_likelihood`` +
  ``posteriors`` against hmmlearn's ``score_samples``; hmmlearn's faster implementation, "log" or
  "scaling", is the reference). Viterbi: ``emission_log_likelihood`` + ``viterbi`` against ``decode``.
- A second table times the recursions alone, from a ready (T, N) emission matrix, against hmmlearn's
  compiled ``_hmmc`` kernels (not part of the target; shown to say where the time goes).
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
from hmmlearn import _hmmc
from hmmlearn import hmm as hl
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from course_utils import hmm, mixtures

REPEATS = 5


def median_time(fn, repeats=REPEATS):
    fn()  # warm-up: JIT compilation / cache loading, first-touch allocations
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gmm_row(n, D, K, rng):
    centers = rng.normal(scale=3.0, size=(K, D))
    X = centers[rng.integers(K, size=n)] + rng.normal(size=(n, D))  # (n, D)
    w = np.full(K, 1.0 / K)
    start = mixtures.GMMParams(w, X[rng.choice(n, K, replace=False)], np.repeat(np.eye(D)[None] * 2, K, 0))
    precisions = np.linalg.inv(start.covariances)

    def ours(m):
        return lambda: mixtures.fit_gmm(X, K, init=start, max_iter=m, tol=0)

    def sklearn(m):
        model = GaussianMixture(K, covariance_type="full", tol=0, max_iter=m, reg_covar=1e-6, weights_init=w,
                                means_init=start.means, precisions_init=precisions,
                                init_params="random_from_data", random_state=0)
        return lambda: model.fit(X)

    per_iter = [(median_time(make(21)) - median_time(make(1))) / 20 for make in (ours, sklearn)]
    return (f"EM iteration, GMM n={n:,} D={D} K={K}", *per_iter, "GaussianMixture")


def hmm_cases(rng, T=100_000, N=4):
    transmat = rng.dirichlet(np.ones(N) * 2, size=N) + np.eye(N) * 2
    transmat /= transmat.sum(1, keepdims=True)
    startprob = np.full(N, 1.0 / N)
    cat = hmm.CategoricalHMMParams(startprob, transmat, rng.dirichlet(np.ones(6), size=N))
    gau = hmm.GaussianHMMParams(startprob, transmat, rng.normal(scale=2.0, size=(N, 2)), rng.uniform(0.5, 2, (N, 2)))
    for name, params in [("categorical (M=6)", cat), ("Gaussian (D=2, diag)", gau)]:
        obs, _ = hmm.sample_hmm(params, T, rng=rng)
        models = {}
        for impl in ("log", "scaling"):
            if isinstance(params, hmm.CategoricalHMMParams):
                m = hl.CategoricalHMM(N, n_features=6, init_params="", implementation=impl)
                m.emissionprob_ = params.emissionprob
            else:
                m = hl.GaussianHMM(N, covariance_type="diag", init_params="", implementation=impl)
                m.means_, m.covars_ = params.means, params.covars
            m.startprob_, m.transmat_ = startprob, transmat
            models[impl] = m
        yield name, params, obs, obs[:, None] if obs.ndim == 1 else obs, models


def hmm_rows(name, params, obs, X, models):
    log_start, log_trans, log_em = hmm.log_inputs(obs, params)  # (N,), (N, N), (T, N)
    model = hmm.HMM(params)

    def functions_fb():
        return hmm.posteriors(log_start, log_trans, hmm.emission_log_likelihood(obs, params))

    def functions_vit():
        return hmm.viterbi(log_start, log_trans, hmm.emission_log_likelihood(obs, params))

    t_ref = {impl: median_time(lambda m=m: m.score_samples(X)) for impl, m in models.items()}
    best = min(t_ref, key=t_ref.get)
    t_decode = median_time(lambda: models["log"].decode(X))
    rows = [(f"forward+backward, {name}: HMM.score_samples", median_time(lambda: model.score_samples(obs)),
             t_ref[best], f"score_samples ({best})"),
            ("  same via emission_log_likelihood+posteriors", median_time(functions_fb), t_ref[best],
             f"score_samples ({best})"),
            (f"Viterbi, {name}: HMM.decode", median_time(lambda: model.decode(obs)), t_decode, "decode"),
            ("  same via emission_log_likelihood+viterbi", median_time(functions_vit), t_decode, "decode")]

    frameprob = np.exp(log_em)  # (T, N)

    def ref_log():
        _, fwd = _hmmc.forward_log(params.startprob, params.transmat, log_em)
        return fwd, _hmmc.backward_log(params.startprob, params.transmat, log_em)

    def ref_scaling():
        _, fwd, scale = _hmmc.forward_scaling(params.startprob, params.transmat, frameprob)
        return fwd, _hmmc.backward_scaling(params.startprob, params.transmat, frameprob, scale)

    def ours_fwd_bwd():
        return hmm.forward(log_start, log_trans, log_em), hmm.backward(log_start, log_trans, log_em)

    t_ours = median_time(ours_fwd_bwd)
    kernel_rows = [
        (f"forward()+backward() log messages, {name}", t_ours, median_time(ref_log), "_hmmc fwd/bwd_log"),
        ("  same, against the scaled (not log) lattices", t_ours, median_time(ref_scaling), "_hmmc fwd/bwd_scaling"),
        (f"viterbi(), {name}", median_time(lambda: hmm.viterbi(log_start, log_trans, log_em)),
         median_time(lambda: _hmmc.viterbi(params.startprob, params.transmat, log_em)), "_hmmc.viterbi"),
    ]
    return rows, kernel_rows


def print_table(title, rows):
    print(f"\n{title}")
    header = f"{'task':<58} {'course_utils':>13} {'reference':>13} {'ratio':>7}  reference"
    print(header)
    print("-" * (len(header) + 18))
    for task, ours, ref, what in rows:
        print(f"{task:<58} {ours * 1e3:>10.2f} ms {ref * 1e3:>10.2f} ms {ours / ref:>7.2f}  {what}")


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        rows = [gmm_row(n, D, K, rng) for n, D, K in [(100_000, 2, 3), (20_000, 16, 3)]]
        hmm_kernels = []
        for case in hmm_cases(rng):
            main_rows, kernel_rows = hmm_rows(*case)
            rows += main_rows
            hmm_kernels += kernel_rows
    print(f"one thread, median of {REPEATS}; ratio = course_utils / reference (target <= 1.00)")
    print_table("Target: EM per iteration, HMM forward+backward and Viterbi from observations (T=100,000, N=4)",
                rows)
    print_table("For information: recursions alone, from a ready (T, N) log-emission matrix", hmm_kernels)


if __name__ == "__main__":
    main()
