"""Exercise references for notebooks 11-12 (evaluating generative models; challenges).

Use them as ``cu.exercises.<name>`` (re-exported by :mod:`course_utils.exercises`). The metrics
themselves live in :mod:`course_utils.metrics`; what is here adapts them to an exercise's exact
signature, or compares an answer with a message that names the likely mistake.
"""

from __future__ import annotations

import math

import numpy as np

from ._checker import compare
from .metrics import inception_score, nearest_neighbour_ratio

__all__ = ["reference_inception_score", "compare_kl", "compare_inception_score",
           # 12
           "reference_kde_log_density", "compare_kde_log_density", "reference_memorisation_ratio",
           "compare_memorisation_ratio", "reference_scaling_exponent", "compare_scaling_exponent"]


# --- 11 · Evaluating generative models --------------------------------------------------------------

def reference_inception_score(probs) -> float:
    r"""The inception score of all rows of ``probs`` taken as one split.

    Parameters
    ----------
    probs : array_like, shape (n, C)
        One row of class probabilities :math:`p(y \mid x_i)` per generated sample; rows sum to 1.

    Returns
    -------
    float
        :math:`\exp\bigl(\frac1n \sum_i \mathrm{KL}(p(y \mid x_i) \,\|\, \hat p(y))\bigr)` with the
        marginal :math:`\hat p(y) = \frac1n \sum_i p(y \mid x_i)`; between 1 and C.

    See Also
    --------
    course_utils.metrics.inception_score : the same score over several splits, with its spread.

    Examples
    --------
    >>> round(reference_inception_score(np.eye(4)), 12)  # confident and balanced: C
    4.0
    >>> round(reference_inception_score(np.full((5, 3), 1 / 3)), 12)  # every row the same: 1
    1.0
    """
    return inception_score(probs, n_splits=1)[0]


def _close(a: float, b: float) -> bool:
    return bool(np.isfinite(a) and np.isfinite(b) and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9))


def _scalar_diff(expected, got) -> tuple[str | None, float | None]:
    """:func:`compare`'s message and, when the answer is wrong but one number, that number (else None)."""
    diff = compare(expected, got)
    if diff is None:
        return None, None
    try:
        return diff, float(np.asarray(got, dtype=float))
    except (TypeError, ValueError):
        return diff, None


def compare_kl(expected, got) -> str | None:
    """``compare_fn`` for a discrete-KL exercise: :func:`compare`, then a guess at the unit if it differs.

    A value that is the right one divided by log 2 is in bits (``np.log2``), not nats.
    """
    diff, value = _scalar_diff(expected, got)
    if value is None:
        return diff
    if expected != 0 and _close(value * math.log(2.0), float(expected)):
        return diff + " -- that is the answer in bits; the workbook's KL is in nats (natural logarithm)"
    return diff


def compare_inception_score(expected, got) -> str | None:
    """``compare_fn`` for an inception-score exercise: :func:`compare`, then a guess at the mistake.

    A value that equals log(expected) is the exponent without the exponential.
    """
    diff, value = _scalar_diff(expected, got)
    if value is None:
        return diff
    if expected != 1 and _close(value, math.log(float(expected))):
        return diff + " -- that is log(IS): the score is the exponential of the mean KL"
    return diff



# --- 12 · Challenges in generative modeling ---------------------------------------------------------

def reference_kde_log_density(X, train, bandwidth) -> np.ndarray:
    r"""Log-density of every row of ``X`` under a Gaussian kernel density estimate fitted to ``train``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points to score.
    train : array_like, shape (m, d)
        The kernel centres (the training data).
    bandwidth : float
        The kernels' standard deviation :math:`h` in every direction (not their variance).

    Returns
    -------
    ndarray, shape (n,)
        :math:`\log p(x_j)` in nats, exact to rounding (every kernel counts, however far away; the
        tree approximations of scikit-learn's ``KernelDensity.score_samples`` can be far off in 64-D).

    Notes
    -----
    .. math:: \log p(x) = \operatorname{logsumexp}_i \Bigl(-\frac{\lVert x - t_i\rVert^2}{2h^2}\Bigr)
              - \log m - \frac d2 \log(2\pi h^2)

    Examples
    --------
    >>> reference_kde_log_density([[0.0]], [[0.0]], 1.0).round(4)  # one standard normal: -log(2 pi)/2
    array([-0.9189])
    """
    from scipy.spatial.distance import cdist
    from scipy.special import logsumexp

    X, train = np.atleast_2d(np.asarray(X, dtype=float)), np.atleast_2d(np.asarray(train, dtype=float))
    m, d = train.shape
    sq = cdist(X, train, "sqeuclidean")  # (n, m)
    return logsumexp(-sq / (2 * bandwidth**2), axis=1) - math.log(m) - 0.5 * d * math.log(2 * math.pi * bandwidth**2)


def compare_kde_log_density(expected, got) -> str | None:
    """``compare_fn`` for the KDE exercise: :func:`compare`, then a guess at the mistake.

    ``-inf`` where the answer is finite means the kernels were exponentiated before summing; the same
    offset at every point means a wrong normalising constant.
    """
    diff = compare(expected, got)
    if diff is None:
        return None
    try:
        e, g = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return diff
    if e.shape != g.shape:
        return diff
    if np.any(np.isneginf(g) & np.isfinite(e)):
        return diff + (" -- some values are -inf where the answer is finite: the kernel values underflowed to 0 "
                       "before they were summed; stay in log space")
    offset = g - e
    if np.all(np.isfinite(offset)) and e.size > 1 and np.ptp(offset) < 1e-6 * max(1.0, abs(offset.mean())):
        return diff + (f" -- every value is off by the same {offset.mean():+.4g} nats: check the normalising "
                       "constant (the average over the m kernels, and the Gaussian's constant in d dimensions)")
    return diff


def reference_memorisation_ratio(samples, train, test) -> float:
    """Median distance from each sample to its nearest training point over that to its nearest test point.

    ``train`` and ``test`` must have the same number of rows (then nothing is subsampled, and the value
    is :func:`course_utils.metrics.nearest_neighbour_ratio`'s ``ratio``). Distances are Euclidean; the
    medians are :func:`numpy.median` (the mean of the two middle values for an even count).

    Examples
    --------
    >>> train, test = np.array([[0.0], [10.0]]), np.array([[1.0], [12.0]])
    >>> reference_memorisation_ratio(np.array([[0.0], [10.0]]), train, test)  # exact copies
    0.0
    """
    train, test = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
    if len(train) != len(test):
        raise ValueError(f"train and test need the same number of rows (got {len(train)} and {len(test)})")
    return nearest_neighbour_ratio(samples, train, test).ratio


def compare_memorisation_ratio(expected, got) -> str | None:
    """``compare_fn`` for the memorisation exercise: :func:`compare`, then a guess at the mistake."""
    diff, value = _scalar_diff(expected, got)
    if value is None:
        return diff
    if expected not in (0, 1) and _close(value * float(expected), 1.0):
        return diff + " -- that is the inverse: the training distances go on top, the test distances below"
    if expected not in (0, 1) and _close(value, float(expected) ** 2):
        return diff + " -- that is the square of the answer: use distances, not squared distances"
    return diff


def reference_scaling_exponent(sizes, seconds) -> float:
    r"""The exponent :math:`b` of a power law :math:`t \approx a\, s^b`, fitted by least squares on log-log axes.

    Parameters
    ----------
    sizes, seconds : array_like, shape (m,)
        Problem sizes and the times measured at them (both positive, ``m >= 2``).

    Returns
    -------
    float
        The slope of the least-squares line through :math:`(\log s_i, \log t_i)`; any base of
        logarithm gives the same slope.

    Examples
    --------
    >>> round(reference_scaling_exponent([1, 2, 4, 8], [3.0, 12.0, 48.0, 192.0]), 12)  # t = 3 s^2
    2.0
    """
    x, y = np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(seconds, dtype=float))
    return float(np.polyfit(x, y, 1)[0])


def compare_scaling_exponent(expected, got) -> str | None:
    """``compare_fn`` for the scaling-exponent exercise: :func:`compare`, then a guess at the mistake."""
    arr = np.asarray(got, dtype=object) if isinstance(got, (list, tuple, np.ndarray)) else None
    if arr is not None and arr.size == 2:
        return (f"result should be one number, the slope (got {len(arr)} numbers: np.polyfit returns the "
                "slope and the intercept together)")
    diff, value = _scalar_diff(expected, got)
    if value is None:
        return diff
    if expected not in (0, 1, -1) and _close(value * float(expected), 1.0):
        return diff + " -- that is 1/slope: the sizes go on the horizontal axis, the times on the vertical one"
    return diff
