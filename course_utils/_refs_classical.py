"""Exercise references for notebooks 05-07 (Gaussian mixtures and hidden Markov models).

Use them as ``cu.exercises.<name>``: :mod:`course_utils.exercises` re-exports everything listed in
``__all__`` and documents the conventions (a reference has the exercise's exact signature and return
type; a ``compare_*`` function is a ``compare_fn`` for :func:`course_utils.exercises.check`).
"""

from __future__ import annotations

import functools

import numpy as np

from ._checker import compare

__all__ = ["reference_sample_weather", "compare_chain_samples", "reference_joint_log_prob",
           "reference_gmm_e_step", "reference_gmm_m_step", "reference_gmm_sample", "compare_mixture_samples",
           "reference_bic_curve", "reference_hmm_reestimate_transmat", "compare_forward",
           "compare_transmat_update", "compare_viterbi"]


def _gaussian_hmm(startprob, transmat, means, stds):
    """A 1-D :class:`course_utils.hmm.GaussianHMMParams` from per-state means (N,) and stds (N,)."""
    from . import hmm

    means, stds = np.asarray(means, dtype=float), np.asarray(stds, dtype=float)  # (N,), (N,)
    return hmm.GaussianHMMParams(startprob, transmat, means[:, None], stds[:, None] ** 2)  # (N, 1) each


# --- 05 · Key generative models ---------------------------------------------------------------------
# (its sampling exercises are checked with check_sampler and mixture_sample_problem /
# chain_sample_problem; reference_gmm_sample, below, is the mixture's fallback)

def reference_sample_weather(startprob, transmat, means, stds, T, rng) -> tuple[np.ndarray, np.ndarray]:
    r"""Ancestral sample of a hidden Markov model with one Gaussian reading per step.

    Parameters
    ----------
    startprob : array_like, shape (N,)
    transmat : array_like, shape (N, N)
        Rows sum to one.
    means, stds : array_like, shape (N,)
        Mean and standard deviation (not variance) of each state's reading.
    T : int
        Number of steps.
    rng : numpy.random.Generator or int

    Returns
    -------
    x : ndarray, shape (T,)
        The readings, :math:`x_t \sim \mathcal N(\text{means}[z_t], \text{stds}[z_t]^2)`.
    z : ndarray of int, shape (T,)
        The state path, :math:`z_1 \sim \pi`, :math:`z_t \sim A_{z_{t-1}, \cdot}`.

    See Also
    --------
    course_utils.hmm.sample_hmm : the same for any emission model.

    Examples
    --------
    >>> x, z = reference_sample_weather([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]], [0.0, 10.0], [1.0, 1.0], 4, 0)
    >>> z.tolist(), x.shape
    ([0, 1, 0, 1], (4,))
    """
    from . import hmm

    x, z = hmm.sample_hmm(_gaussian_hmm(startprob, transmat, means, stds), T, rng=rng)  # (T, 1), (T,)
    return x[:, 0], z


def _transition_frequencies(z, N) -> np.ndarray:
    """Observed transition frequencies (N, N) of a path z (T,): transition counts with normalised rows."""
    counts = np.zeros((N, N))
    np.add.at(counts, (z[:-1], z[1:]), 1)
    return counts / counts.sum(axis=1, keepdims=True)


def compare_chain_samples(expected, got, *, share_tol=0.02, transition_tol=0.03, moment_tol=0.1) -> str | None:
    """``compare_fn`` for HMM sampling exercises: two samples ``(x, z)`` of one chain agree in distribution.

    Compares statistics, not values (random numbers can be drawn in many valid orders): the shapes, the
    share of steps in each state (within ``share_tol``), the observed transition frequencies (within
    ``transition_tol``), and each state's mean and standard deviation of readings (within ``moment_tol``
    standard deviations).

    Parameters
    ----------
    expected, got : tuple (x, z)
        Readings x (T,) and integer states z (T,); ``expected`` comes from the reference.

    Returns
    -------
    str or None
        What differs, or None when the samples agree.

    Examples
    --------
    >>> args = ([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], [0.0, 5.0], [1.0, 1.0], 20000)
    >>> a, b = reference_sample_weather(*args, 0), reference_sample_weather(*args, 1)
    >>> compare_chain_samples(a, b) is None
    True
    >>> wrong = reference_sample_weather(*args[:1], [[0.5, 0.5]] * 2, *args[2:], 1)  # i.i.d. states
    >>> compare_chain_samples(a, wrong).startswith("transition frequencies")
    True
    """
    (x_e, z_e), (x_g, z_g) = expected, got
    x_g, z_g = np.asarray(x_g, dtype=float), np.asarray(z_g)
    if x_g.shape != x_e.shape or z_g.shape != z_e.shape:
        return f"expected x and z of shape {x_e.shape}, got {x_g.shape} and {z_g.shape}"
    N = int(z_e.max()) + 1
    if not np.issubdtype(z_g.dtype, np.integer) or z_g.min() < 0 or z_g.max() >= N:
        return f"z must hold integer states 0..{N - 1}"
    share_e, share_g = np.bincount(z_e, minlength=N) / len(z_e), np.bincount(z_g, minlength=N) / len(z_g)  # (N,)
    if np.abs(share_e - share_g).max() > share_tol:
        return f"share of days per state {np.round(share_g, 3)}, expected about {np.round(share_e, 3)}"
    freq_e, freq_g = _transition_frequencies(z_e, N), _transition_frequencies(z_g, N)  # (N, N) each
    if np.abs(freq_e - freq_g).max() > transition_tol:
        return f"transition frequencies {np.round(freq_g, 3).tolist()}, expected about " \
               f"{np.round(freq_e, 3).tolist()}"
    for s in range(N):
        sd = x_e[z_e == s].std()
        if abs(x_g[z_g == s].mean() - x_e[z_e == s].mean()) > moment_tol * sd or \
                abs(x_g[z_g == s].std() - sd) > moment_tol * sd:
            return f"the readings of state {s} have the wrong mean or spread"
    return None


def reference_joint_log_prob(startprob, transmat, means, stds, z, x) -> float:
    r"""Log-probability of a hidden path together with its readings, for one-dimensional Gaussian emissions.

    Parameters
    ----------
    startprob : array_like, shape (N,)
    transmat : array_like, shape (N, N)
    means, stds : array_like, shape (N,)
        Mean and standard deviation of each state's reading.
    z : array_like of int, shape (T,)
        The hidden path.
    x : array_like, shape (T,)
        The readings.

    Returns
    -------
    float
        :math:`\log p(x_{1:T}, z_{1:T}) = \log\pi_{z_1} + \sum_{t\ge2}\log a_{z_{t-1} z_t}
        + \sum_t \log\mathcal N(x_t; \mu_{z_t}, \sigma_{z_t}^2)`, in nats; -inf for an impossible path.

    See Also
    --------
    course_utils.hmm.joint_log_prob : the same for any emission model and several sequences.

    Examples
    --------
    >>> round(reference_joint_log_prob([1.0, 0.0], [[0.5, 0.5], [0.5, 0.5]], [0.0, 0.0], [1.0, 1.0],
    ...                                np.array([0, 1]), [0.0, 0.0]), 6)  # log 0.5 - log(2 pi)
    -2.531024
    """
    from . import hmm

    obs = np.asarray(x, dtype=float)[:, None]  # (T, 1)
    return hmm.joint_log_prob(obs, z, _gaussian_hmm(startprob, transmat, means, stds))


# --- 06 · Gaussian mixture models -------------------------------------------------------------------

def reference_gmm_e_step(X, weights, means, covariances) -> tuple[np.ndarray, float]:
    """:func:`course_utils.mixtures.e_step` with the mixture given as three arrays.

    Parameters
    ----------
    X : array_like, shape (n, D)
    weights : array_like, shape (K,)
    means : array_like, shape (K, D)
    covariances : array_like, shape (K, D, D)

    Returns
    -------
    log_resp : ndarray, shape (n, K)
    mean_log_likelihood : float
        Averaged over the n points, not summed.

    Examples
    --------
    >>> log_resp, mean_ll = reference_gmm_e_step(np.zeros((1, 1)), [0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]])
    >>> np.exp(log_resp).round(2)
    array([[0.5, 0.5]])
    """
    from . import mixtures

    return mixtures.e_step(X, mixtures.GMMParams(weights, means, covariances))


def reference_gmm_m_step(X, resp, reg_covar=1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`course_utils.mixtures.m_step` with the mixture returned as three arrays.

    Parameters
    ----------
    X : array_like, shape (n, D)
    resp : array_like, shape (n, K)
        Responsibilities (probabilities, not logs); rows sum to one.
    reg_covar : float
        Added to the diagonal of every covariance.

    Returns
    -------
    weights : ndarray, shape (K,)
    means : ndarray, shape (K, D)
    covariances : ndarray, shape (K, D, D)

    Examples
    --------
    >>> weights, means, covs = reference_gmm_m_step(np.array([[0.0], [2.0], [10.0]]),
    ...                                             np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), 0.0)
    >>> weights.round(3).tolist(), means.ravel().round(6).tolist()
    ([0.667, 0.333], [1.0, 10.0])
    """
    from . import mixtures

    p = mixtures.m_step(X, resp, reg_covar=reg_covar)
    return p.weights, p.means, p.covariances


def reference_gmm_sample(weights, means, covariances, n, rng) -> tuple[np.ndarray, np.ndarray]:
    """:func:`course_utils.mixtures.sample_gmm` with the mixture given as three arrays.

    Parameters
    ----------
    weights : array_like, shape (K,)
    means : array_like, shape (K, D)
    covariances : array_like, shape (K, D, D)
    n : int
    rng : numpy.random.Generator or int

    Returns
    -------
    X : ndarray, shape (n, D)
    z : ndarray of int, shape (n,)
        The component of each sample.

    Examples
    --------
    >>> X, z = reference_gmm_sample([0.5, 0.5], [[0.0], [5.0]], [[[1.0]], [[1.0]]], 10, np.random.default_rng(0))
    >>> X.shape, z.shape
    ((10, 1), (10,))
    """
    from . import mixtures

    return mixtures.sample_gmm(mixtures.GMMParams(weights, means, covariances), n, rng=rng)


def compare_mixture_samples(expected, got, *, share_tol=0.02, moment_tol=0.1) -> str | None:
    """``compare_fn`` for sampling exercises: two samples ``(X, z)`` of one mixture agree in distribution.

    Random numbers can be drawn in many valid orders, so this compares statistics, not values: the
    shapes, the share of samples per component (within ``share_tol``), and each component's mean and
    covariance (within ``moment_tol``, relative to the component's standard deviations).

    Parameters
    ----------
    expected, got : tuple (X, z)
        Samples X (n, D) and integer components z (n,); ``expected`` comes from the reference.

    Returns
    -------
    str or None
        What differs, or None when the samples agree.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = reference_gmm_sample([0.5, 0.5], [[0.0], [5.0]], [[[1.0]], [[1.0]]], 20000, rng)
    >>> b = reference_gmm_sample([0.5, 0.5], [[0.0], [5.0]], [[[1.0]], [[1.0]]], 20000, rng)
    >>> compare_mixture_samples(a, b) is None, compare_mixture_samples(a, (b[0] + 1.0, b[1])) is None
    (True, False)
    """
    (X_e, z_e), (X_g, z_g) = expected, got
    X_g, z_g = np.asarray(X_g, dtype=float), np.asarray(z_g)
    if X_g.shape != X_e.shape or z_g.shape != z_e.shape:
        return f"expected X of shape {X_e.shape} and z of shape {z_e.shape}, got {X_g.shape} and {z_g.shape}"
    K = int(z_e.max()) + 1
    if not np.issubdtype(z_g.dtype, np.integer) or z_g.min() < 0 or z_g.max() >= K:
        return f"z must hold integer component indices 0..{K - 1} (got values {np.unique(z_g)[:10]})"
    f_e, f_g = np.bincount(z_e, minlength=K) / len(z_e), np.bincount(z_g, minlength=K) / len(z_g)
    if np.abs(f_e - f_g).max() > share_tol:
        return f"fraction of samples per component {np.round(f_g, 3)}, expected about {np.round(f_e, 3)}"
    for c in range(K):
        cov_e = np.atleast_2d(np.cov(X_e[z_e == c].T))  # (D, D)
        scale = np.sqrt(np.diag(cov_e))  # (D,) the component's standard deviations
        d_mean = np.abs(X_g[z_g == c].mean(0) - X_e[z_e == c].mean(0)) / scale  # (D,)
        d_cov = np.abs(np.atleast_2d(np.cov(X_g[z_g == c].T)) - cov_e) / np.outer(scale, scale)  # (D, D)
        if d_mean.max() > moment_tol or d_cov.max() > moment_tol:
            return f"the samples of component {c} have the wrong mean or covariance"
    return None


def reference_bic_curve(X, k_max, seed) -> np.ndarray:
    """BIC of ``fit_gmm(X, K, n_init=3, max_iter=200, tol=1e-4, rng=seed)`` for K = 1..k_max.

    Parameters
    ----------
    X : array_like, shape (n, D)
    k_max : int
    seed : int
        The same seed for every K.

    Returns
    -------
    ndarray, shape (k_max,)
        Entry K - 1 is the BIC of the K-component fit (lower is better).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> reference_bic_curve(X, 2, 0).shape
    (2,)
    """
    from . import mixtures

    fits = [mixtures.fit_gmm(X, K, n_init=3, max_iter=200, tol=1e-4, rng=seed) for K in range(1, k_max + 1)]
    return np.array([mixtures.bic(X, f.params) for f in fits])


# --- 07 · Hidden Markov models ----------------------------------------------------------------------

def reference_hmm_reestimate_transmat(obs, params) -> np.ndarray:
    """The transition matrix (N, N) after one Baum-Welch iteration from ``params`` on the sequence ``obs``.

    Parameters
    ----------
    obs : array_like
        One sequence, as :func:`course_utils.hmm.score` takes it.
    params : course_utils.hmm.CategoricalHMMParams or course_utils.hmm.GaussianHMMParams

    Returns
    -------
    ndarray, shape (N, N)
        Rows sum to one.
    """
    from . import hmm

    return hmm.baum_welch(obs, params, n_iter=1, tol=0).params.transmat


def _explained(diagnose):
    """A ``compare_fn``: :func:`course_utils.exercises.compare`, then the mistake ``diagnose`` reads off."""
    @functools.wraps(diagnose)
    def compare_fn(expected, got) -> str | None:
        msg = compare(expected, got)
        try:
            extra = msg and diagnose(expected, got)
        except (TypeError, ValueError, IndexError):  # a malformed answer: compare's sentence says enough
            extra = None
        return f"{msg}\n   What it suggests: {extra}" if extra else msg
    return compare_fn


@_explained
def compare_forward(expected, got):
    """``compare_fn`` for the forward-recursion exercise (07): the comparison, plus the likely mistake."""
    (e_lp, e_la), (lp, la) = expected, (float(got[0]), np.asarray(got[1], dtype=float))
    if la.shape != e_la.shape:
        return None
    bad = ~np.isclose(la, e_la, rtol=1e-6, atol=1e-8, equal_nan=True).all(axis=1)  # (T,) rows that differ
    if (np.isneginf(la) & np.isfinite(e_la)).any() or np.isneginf(lp) > np.isneginf(e_lp):
        return "-inf where the answer is finite: the probabilities underflowed; stay in log space throughout."
    if bad[0]:
        return "row 0 is wrong: it combines the start distribution with the emission of the first day."
    if bad.any():
        return (f"row {bad.argmax()} is the first wrong one (the rows before it are right): check what the "
                "log-sum-exp runs over (the previous state i) and that that day's emission is added.")
    return "log_alpha is right but log_prob is not: P(O) sums the last row over the states."


@_explained
def compare_transmat_update(expected, got):
    """``compare_fn`` for the Baum-Welch transition update (07): the comparison, plus the likely mistake."""
    got = np.asarray(got, dtype=float)
    if got.shape != expected.shape:
        return None
    if not np.allclose(got.sum(axis=1), 1.0):
        return (f"the rows of A_hat sum to {np.round(got.sum(axis=1), 4)}, not 1: divide each row of expected "
                "counts by its own total (transitions out of state i).")
    if np.any((expected == 0) & (got != 0)):
        return "a structural zero of A became non-zero: an impossible transition has xi_t(i, j) = 0."
    return "rows sum to one but the counts differ: xi_t(i, j) needs alpha at t, a_ij, and the emission and beta at t+1."


@_explained
def compare_viterbi(expected, got):
    """``compare_fn`` for the Viterbi exercise (07): the comparison, plus the likely mistake."""
    (e_lp, e_path), lp, path = expected, float(got[0]), np.asarray(got[1])
    if path.shape != e_path.shape:
        return None
    if not np.isclose(lp, e_lp, rtol=1e-6, atol=1e-8):
        return "log_prob is wrong: maximise over the previous state i (not the next j), then add day t's emission."
    if path[-1] != e_path[-1]:
        return "the path must end in the state with the largest delta on the last day."
    return (f"the score and the last state are right, but path[{np.argmax(path != e_path)}] is not: the trace-back is "
            "at fault. Two common slips: picking each day's best state on its own (a greedy path, not the best one), "
            "or reading the wrong step's pointers (q_{t-1} = psi_t(q_t): the pointers stored at step t name day t-1).")
