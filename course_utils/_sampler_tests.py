r"""Goodness-of-fit tests that judge a student's sampler against the distribution it should sample.

A sampling exercise cannot be checked by comparing numbers with a reference: two correct samplers that
draw from ``rng`` in a different order give different samples. These tests compare a sample with the
*true* distribution instead, each at a small significance level, so that a correct sampler fails with
a known, tiny probability (at most :data:`ALPHA` for all the tests of one case together, by Bonferroni's
bound; ``check_sampler`` applies them to each case, so a check with c cases fails a correct sampler with
probability at most c · ALPHA) while a wrong one (ignored weights, variances for standard deviations,
independent states instead of a Markov chain) fails almost surely at the sample sizes the notebooks use
(n = 5,000 points or days per case).

Every function returns ``None`` when the sample passes, or a sentence that says what is off.

Notes
-----
- Component or state counts: Pearson's :math:`\chi^2` against the multinomial; for a Markov chain the
  transition counts :math:`n_{ij}` are tested row by row against :math:`n_{i\cdot} A_{ij}`, which is
  asymptotically :math:`\chi^2` with :math:`\sum_i (m_i - 1)` degrees of freedom, :math:`m_i` the
  number of allowed moves out of state :math:`i` (Anderson & Goodman, 1957).
- Gaussian parts: the points of each component are whitened with its true mean and Cholesky factor,
  :math:`u = L^{-1}(x - \mu) \sim N(0, I)`; then :math:`n \lVert\bar u\rVert^2 \sim \chi^2_D`
  (the mean) and, with :math:`c = u - \bar u`, :math:`\sum_i c_{id}^2 \sim \chi^2_{n-1}` for every
  dimension (the variances) and, for :math:`D > 1`, :math:`\sqrt n\, \overline{c_d c_e} \approx N(0, 1)`
  for every pair (the correlations). Under the hypothesis the mean and the spread are independent.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["ALPHA", "mixture_sample_problem", "chain_sample_problem", "gaussian_sample_problem"]

#: Probability that a correct sampler fails one case (all its tests together); a check adds it up over its cases.
ALPHA = 1e-5


def _two_sided_chi2(statistic: float, df: float) -> float:
    return 2 * min(float(special.chdtrc(df, statistic)), float(special.chdtr(df, statistic)))


def _ks_pvalue(cdf_values) -> float:
    """Two-sided one-sample Kolmogorov-Smirnov p-value from the hypothesised CDF at each sample point.

    The same statistic and exact p-value (``kstwo``) as ``scipy.stats.ks_1samp``, without its
    per-call overhead (the checks run it a few times per case, the tests thousands of times).
    """
    F = np.sort(np.asarray(cdf_values, float))
    n = len(F)
    i = np.arange(1, n + 1)
    d = max(float((i / n - F).max()), float((F - (i - 1) / n).max()))
    return float(np.clip(stats.kstwo.sf(d, n), 0.0, 1.0))


def _counts_problem(counts, probs, what: str, alpha: float) -> str | None:
    counts, probs = np.asarray(counts, float), np.asarray(probs, float)
    if np.any(counts[probs == 0] > 0):
        bad = np.flatnonzero((probs == 0) & (counts > 0))
        return f"{what}: {int(counts[bad].sum())} draws of {bad.tolist()}, which have probability 0"
    ok = probs > 0
    expected = counts.sum() * probs[ok]
    statistic = float(((counts[ok] - expected) ** 2 / expected).sum())
    if ok.sum() > 1 and special.chdtrc(ok.sum() - 1, statistic) < alpha:
        shares = counts / max(counts.sum(), 1)
        return f"{what}: shares {np.round(shares, 3).tolist()}, expected {np.round(probs, 3).tolist()}"
    return None


def _gaussian_problem(X, mean, cov, what: str, alpha: float) -> str | None:
    """Whitened moment and shape tests of the rows of X (n, D) against N(mean, cov); alpha shared by the tests.

    The moments (mean, variances, correlations) come first. A sampler with the right moments but the wrong
    shape (uniform or heavy-tailed noise) is caught by Kolmogorov-Smirnov tests of every whitened
    coordinate against N(0, 1) (an asymmetric shape) and of the squared radius ``||u||^2`` against
    chi^2_D (a symmetric one: too few or too many points far out). Bonferroni over all the tests.
    """
    X = np.atleast_2d(X)
    n, D = X.shape
    if n < 2:
        return None
    L = np.linalg.cholesky(np.atleast_2d(cov))
    u = np.linalg.solve(L, (X - mean).T).T  # (n, D), N(0, I) under the hypothesis
    n_tests = 1 + D + D * (D - 1) // 2 + D + 1  # mean, variances, correlations; coordinate shapes, radius
    a = alpha / n_tests
    c = u - u.mean(0)  # centred: the spread tests do not see a shifted mean (and are independent of it)
    for d in range(D):
        if _two_sided_chi2(float((c[:, d] ** 2).sum()), n - 1) < a:
            spread = np.sqrt(np.diag(np.atleast_2d(np.cov(X.T))))
            problem = (f"{what}: the standard deviations are {np.round(spread, 3).tolist()}, expected "
                       f"{np.round(np.sqrt(np.diag(np.atleast_2d(cov))), 3).tolist()}")
            if D > 1:  # whitening mixes the dimensions: equal spreads with wrong correlations also land here
                upper, sd = np.triu_indices(D, 1), np.sqrt(np.diag(cov))
                problem += (f", and the correlations are {np.round(np.corrcoef(X.T)[upper], 2).tolist()}, "
                            f"expected {np.round((cov / np.outer(sd, sd))[upper], 2).tolist()}")
            return problem
    for d in range(D):
        for e in range(d + 1, D):
            if 2 * special.ndtr(-abs(np.sqrt(n) * float((c[:, d] * c[:, e]).mean()))) < a:
                r, rho = np.corrcoef(X[:, d], X[:, e])[0, 1], cov[d, e] / np.sqrt(cov[d, d] * cov[e, e])
                return f"{what}: the correlation between dimensions {d} and {e} is {r:.2f}, expected {rho:.2f}"
    if special.chdtrc(D, n * float((u.mean(0) ** 2).sum())) < a:  # spread first: a wrong spread moves the mean test too
        return f"{what}: the mean is {np.round(X.mean(0), 3).tolist()}, expected {np.round(mean, 3).tolist()}"
    r2 = (u**2).sum(1)  # chi^2_D under the hypothesis
    if min(_ks_pvalue(special.ndtr(u[:, d])) for d in range(D)) < a or _ks_pvalue(special.chdtr(D, r2)) < a:
        inner, outer = (100 * float(np.mean(r2 < stats.chi2(D).ppf(q))) for q in (0.6827, 0.9545))
        where = ("within 1 standard deviation of the mean and {:.1f}% beyond 2" if D == 1 else
                 "inside the ellipse that holds 68.3% of a normal's points and {:.1f}% outside the one for 95.4%")
        return (f"{what}: the mean and spread are right but the shape is not normal: {inner:.1f}% of the points lie "
                + where.format(100 - outer) + " (a normal distribution: 68.3% and 4.6%)")
    return None


def _as_labels(z, n_labels: int, name: str, length: int) -> tuple[np.ndarray | None, str | None]:
    z = np.asarray(z)
    if z.shape != (length,):
        return None, f"{name} must have shape ({length},) (got {z.shape})"
    if z.size and not np.all(np.equal(np.mod(z, 1), 0)):
        return None, f"{name} must hold integer labels (got values such as {z[:3].tolist()})"
    z = z.astype(int)
    if z.size and (z.min() < 0 or z.max() >= n_labels):
        return None, f"{name} must hold labels 0..{n_labels - 1} (got values from {z.min()} to {z.max()})"
    return z, None


def _pair(sample, names: str) -> tuple[tuple | None, str | None]:
    if not isinstance(sample, (tuple, list)) or len(sample) != 2:
        return None, f"the function must return a pair {names} (got {type(sample).__name__})"
    return tuple(sample), None


def mixture_sample_problem(weights, means, covariances, n, rng, sample, *, alpha: float = ALPHA) -> str | None:
    """Is ``sample = (X, z)`` a sample of n points from the Gaussian mixture? ``None`` if nothing is off.

    The arguments are those of the sampling exercise (``rng`` is not used), then its result.

    Parameters
    ----------
    weights : array_like, shape (K,)
    means : array_like, shape (K, D)
    covariances : array_like, shape (K, D, D)
    n : int
    rng : numpy.random.Generator
        Not used.
    sample : tuple (X, z)
        X of shape (n, D); z of shape (n,), the component of each point.
    alpha : float
        Probability that a correct sample fails (split over the tests).
    """
    pair, problem = _pair(sample, "(X, z)")
    if problem:
        return problem
    weights, means, covariances = (np.asarray(a, float) for a in (weights, means, covariances))
    K, D = means.shape
    X = np.asarray(pair[0], dtype=float)
    if X.shape != (n, D):
        return f"X must have shape ({n}, {D}) (got {X.shape})"
    z, problem = _as_labels(pair[1], K, "z", n)
    if problem:
        return problem
    a = alpha / (1 + K)
    problem = _counts_problem(np.bincount(z, minlength=K), weights, "points per component", a)
    for k in range(K):
        problem = problem or _gaussian_problem(X[z == k], means[k], covariances[k], f"component {k}", a)
    return problem


def chain_sample_problem(startprob, transmat, means, stds, T, rng, sample, *, alpha: float = ALPHA) -> str | None:
    """Is ``sample = (x, z)`` one run of T steps of the HMM with 1-D Gaussian readings? ``None`` if all is well.

    The arguments are those of the sampling exercise (``rng`` is not used), then its result.

    Parameters
    ----------
    startprob : array_like, shape (N,)
    transmat : array_like, shape (N, N)
    means, stds : array_like, shape (N,)
        Mean and standard deviation of the reading in each state.
    T : int
    rng : numpy.random.Generator
        Not used.
    sample : tuple (x, z)
        The readings x, shape (T,), and the hidden states z, shape (T,).
    alpha : float
        Probability that a correct sample fails (split over the tests).

    Notes
    -----
    The first state is a single draw: it is only checked to be possible (``startprob[z[0]] > 0``).
    """
    pair, problem = _pair(sample, "(x, z)")
    if problem:
        return problem
    startprob, transmat, means, stds = (np.asarray(a, float) for a in (startprob, transmat, means, stds))
    N = len(startprob)
    x = np.asarray(pair[0], dtype=float)
    if x.shape != (T,):
        return f"x must have shape ({T},) (got {x.shape})"
    z, problem = _as_labels(pair[1], N, "z", T)
    if problem:
        return problem
    if startprob[z[0]] == 0:
        return f"the first state is {z[0]}, which has start probability 0"
    a = alpha / (2 * N)
    counts = np.zeros((N, N))
    np.add.at(counts, (z[:-1], z[1:]), 1)
    for i in range(N):
        problem = problem or _counts_problem(counts[i], transmat[i], f"moves out of state {i}", a)
    for s in range(N):
        problem = problem or _gaussian_problem(x[z == s, None], means[s:s + 1], stds[s:s + 1, None] ** 2,
                                               f"readings in state {s}", a)
    return problem


def gaussian_sample_problem(mu, sigma2, n, rng, sample, *, alpha: float = ALPHA) -> str | None:
    """Is ``sample`` (shape (n,)) a sample of n draws from N(mu, sigma2)? ``None`` if nothing is off.

    The arguments are those of the sampling exercise (``rng`` is not used), then its result.

    Parameters
    ----------
    mu : float
        The mean.
    sigma2 : float
        The variance (not the standard deviation).
    n : int
    rng : numpy.random.Generator
        Not used.
    sample : array_like, shape (n,)
    alpha : float
        Probability that a correct sample fails.
    """
    x = np.asarray(sample, dtype=float)
    if x.shape != (n,):
        return f"the sample must have shape ({n},) (got {x.shape})"
    if not np.all(np.isfinite(x)):
        return "the sample contains NaN or infinite values"
    return _gaussian_problem(x[:, None], np.array([float(mu)]), np.array([[float(sigma2)]]), "the sample", alpha)
