"""Distances between distributions, from probability vectors or from samples (float64 throughout).

The public names are re-exported by :mod:`course_utils.metrics`; read their documentation there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from ._validation import as_float_array, check_positive_int, check_probability_vector, check_rng


def as_numpy(values):
    """Torch tensors (on any device) become NumPy arrays; everything else is passed through."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        return values.detach().cpu().numpy()
    return values


def feature_matrix(values, name: str, *, min_rows: int = 2) -> np.ndarray:
    """A finite float64 (n, d) matrix with at least ``min_rows`` rows."""
    X = as_float_array(as_numpy(values), name, ndim=2)
    if len(X) < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows (got {len(X)})")
    return X


def same_columns(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{name_a} and {name_b} must have the same number of columns "
                         f"(got {a.shape[1]} and {b.shape[1]})")


def kl_divergence(p, q) -> float:
    r"""Discrete KL divergence :math:`\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)`, in nats.

    Terms with :math:`p_i = 0` contribute 0; the result is ``inf`` when some :math:`q_i = 0 < p_i`.

    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 6)
    0.510826
    """
    p = check_probability_vector(as_numpy(p), "p", atol=1e-6)
    q = check_probability_vector(as_numpy(q), "q", atol=1e-6)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same length (got {len(p)} and {len(q)})")
    support = p > 0
    if (q[support] == 0).any():
        return float("inf")
    return float(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))))


def _symmetric_sqrt(S: np.ndarray) -> np.ndarray:
    """The PSD square root of a symmetric matrix, negative eigenvalues (round-off) clipped at 0."""
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def _covariance(S, name: str, d: int) -> np.ndarray:
    S = as_float_array(as_numpy(S), name, ndim=2)
    if S.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}) to match the mean (got {S.shape})")
    scale = max(np.abs(S).max(), 1e-300)
    if not np.allclose(S, S.T, rtol=0, atol=1e-8 * scale):
        raise ValueError(f"{name} must be symmetric (largest asymmetry {np.abs(S - S.T).max():.3g})")
    if np.linalg.eigvalsh(S).min() < -1e-8 * scale:
        raise ValueError(f"{name} must be positive semi-definite (smallest eigenvalue "
                         f"{np.linalg.eigvalsh(S).min():.3g})")
    return 0.5 * (S + S.T)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    r"""Squared Fréchet (2-Wasserstein) distance between :math:`N(\mu_1, \Sigma_1)` and :math:`N(\mu_2, \Sigma_2)`.

    .. math:: \lVert\mu_1 - \mu_2\rVert^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
              - 2 \operatorname{tr}\bigl(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\bigr)^{1/2}

    The trace of the square root is the sum of the square roots of the eigenvalues of the *symmetric*
    matrix :math:`\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}` (``eigh``, eigenvalues clipped at 0), which stays
    accurate for ill-conditioned covariances.

    >>> frechet_distance(np.zeros(3), np.eye(3), np.ones(3), 4 * np.eye(3))
    6.0
    """
    mu1 = as_float_array(as_numpy(mu1), "mu1", ndim=1)
    mu2 = as_float_array(as_numpy(mu2), "mu2", ndim=1)
    if mu1.shape != mu2.shape:
        raise ValueError(f"mu1 and mu2 must have the same length (got {len(mu1)} and {len(mu2)})")
    d = len(mu1)
    sigma1, sigma2 = _covariance(sigma1, "sigma1", d), _covariance(sigma2, "sigma2", d)
    root1 = _symmetric_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    eig = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_root = np.sqrt(np.clip(eig, 0.0, None)).sum()
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root
    return float(max(value, 0.0))


def fid(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted (mean, unbiased covariance) to two feature sets (n, d).

    Biased upward at finite n: two samples of one 64-dimensional Gaussian with n = 500 each score about 4,
    not 0. Compare models at the same n, beside the real-against-real value, or use :func:`fid_curve`.
    """
    a, b = feature_matrix(features_a, "features_a"), feature_matrix(features_b, "features_b")
    same_columns(a, b, "features_a", "features_b")
    return frechet_distance(a.mean(0), np.atleast_2d(np.cov(a, rowvar=False)),
                            b.mean(0), np.atleast_2d(np.cov(b, rowvar=False)))


@dataclass(frozen=True)
class FIDCurve:
    """FID at several sample sizes and its extrapolation to infinitely many samples."""

    ns: np.ndarray  #: the sample sizes
    values: np.ndarray  #: mean FID at each size (over ``n_repeats`` subsamples)
    fid_infinity: float  #: intercept of the least-squares line FID ≈ fid_infinity + slope / n
    slope: float


def fid_curve(features_real, features_fake, ns, *, n_repeats: int = 3, seed=None) -> FIDCurve:
    """FID of subsamples of n real and n fake features for each n in ``ns``, and its 1/n extrapolation.

    FID's bias is close to proportional to 1/n, so a straight line through (1/n, FID) has the
    bias-free value as its intercept, FID∞ (Chong & Forsyth, CVPR 2020). Each n is drawn without
    replacement from both sets, ``n_repeats`` times, with ``seed`` (int, Generator or None).
    """
    real, fake = feature_matrix(features_real, "features_real"), feature_matrix(features_fake, "features_fake")
    same_columns(real, fake, "features_real", "features_fake")
    ns = np.asarray([check_positive_int(int(n), "ns", minimum=2) for n in np.atleast_1d(ns)])
    if len(np.unique(ns)) < 2:
        raise ValueError(f"ns needs at least two different sample sizes to extrapolate (got {ns.tolist()})")
    if ns.max() > min(len(real), len(fake)):
        raise ValueError(f"ns must not exceed the smaller set ({min(len(real), len(fake))} rows; got "
                         f"{ns.max()})")
    n_repeats = check_positive_int(n_repeats, "n_repeats")
    rng = check_rng(seed)
    values = np.array([np.mean([fid(real[rng.choice(len(real), n, replace=False)],
                                    fake[rng.choice(len(fake), n, replace=False)])
                                for _ in range(n_repeats)]) for n in ns])
    slope, intercept = np.polyfit(1.0 / ns, values, 1)
    return FIDCurve(ns=ns, values=values, fid_infinity=float(intercept), slope=float(slope))


def _cubic_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _unbiased_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    m, n = len(x), len(y)
    kxx, kyy, kxy = _cubic_kernel(x, x), _cubic_kernel(y, y), _cubic_kernel(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.mean())


def kid(features_a, features_b, *, n_subsets: int = 10, seed=None) -> tuple[float, float]:
    r"""Kernel Inception Distance (Bińkowski et al., 2018): unbiased MMD² with :math:`k(x, y) = (x^\top y / d + 1)^3`.

    Both sets are shuffled (``seed``) and cut into ``n_subsets`` disjoint blocks; the unbiased MMD² of
    each pair of blocks is an independent, unbiased estimate, so their mean is the estimate and their
    standard deviation over :math:`\sqrt{n_\text{subsets}}` its standard error. Unlike FID, its
    expectation is 0 when both sets come from one distribution (it can come out slightly negative).

    Returns
    -------
    (estimate, standard_error) : tuple of float
    """
    a, b = feature_matrix(features_a, "features_a"), feature_matrix(features_b, "features_b")
    same_columns(a, b, "features_a", "features_b")
    n_subsets = check_positive_int(n_subsets, "n_subsets", minimum=2)
    if min(len(a), len(b)) < 2 * n_subsets:
        raise ValueError(f"kid needs at least 2 rows per subset: {2 * n_subsets} rows in each set for "
                         f"n_subsets={n_subsets} (got {len(a)} and {len(b)})")
    rng = check_rng(seed)
    blocks_a = np.array_split(a[rng.permutation(len(a))], n_subsets)
    blocks_b = np.array_split(b[rng.permutation(len(b))], n_subsets)
    estimates = np.array([_unbiased_mmd2(x, y) for x, y in zip(blocks_a, blocks_b)])
    return float(estimates.mean()), float(estimates.std(ddof=1) / np.sqrt(n_subsets))


def inception_score(probs, n_splits: int = 10) -> tuple[float, float]:
    r"""Inception score :math:`\exp\bigl(\mathbb{E}_x \mathrm{KL}(p(y \mid x) \,\|\, p(y))\bigr)` from class probabilities.

    ``probs`` is (n, C), one row of class probabilities per generated sample (rows sum to 1). The
    rows are cut, in order, into ``n_splits`` contiguous splits; the score of each uses its own
    marginal :math:`p(y)`. It lies between 1 (every sample gets the same class distribution) and C
    (confident, and every class equally often).

    Returns
    -------
    (mean, std) : tuple of float
        Over the splits.
    """
    P = as_float_array(as_numpy(probs), "probs", ndim=2)
    if (P < 0).any() or not np.allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ValueError("probs must hold one probability vector per row (non-negative, rows summing to 1; "
                         "apply a softmax to logits first)")
    n_splits = check_positive_int(n_splits, "n_splits")
    if n_splits > len(P):
        raise ValueError(f"n_splits must not exceed the number of rows (got {n_splits} for {len(P)} rows)")
    scores = []
    for part in np.array_split(P, n_splits):
        marginal = part.mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0)
        scores.append(np.exp(terms.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _mean_distance(x: np.ndarray, y: np.ndarray, chunk: int = 1024) -> float:
    """Mean Euclidean distance over all pairs (x_i, y_j), in chunks to bound memory."""
    total = 0.0
    for start in range(0, len(x), chunk):
        total += cdist(x[start:start + chunk], y).sum()
    return total / (len(x) * len(y))


def energy_distance(a, b) -> float:
    r"""Squared energy distance :math:`2\,\mathbb{E}\lVert X - Y\rVert - \mathbb{E}\lVert X - X'\rVert - \mathbb{E}\lVert Y - Y'\rVert`.

    Computed between the two empirical distributions (all pairs, V-statistic), so it is never negative
    and is 0 only for identical samples; Székely & Rizzo (2013). In 1-D its square root equals
    ``scipy.stats.energy_distance(a, b)``.
    """
    a = feature_matrix(a, "a", min_rows=1)
    b = feature_matrix(b, "b", min_rows=1)
    same_columns(a, b, "a", "b")
    value = 2.0 * _mean_distance(a, b) - _mean_distance(a, a) - _mean_distance(b, b)
    return float(max(value, 0.0))
