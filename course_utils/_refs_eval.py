"""Exercise references for notebooks 11-12 (evaluating generative models; challenges).

Use them as ``cu.exercises.<name>`` (re-exported by :mod:`course_utils.exercises`). The metrics
themselves live in :mod:`course_utils.metrics`; what is here adapts them to an exercise's exact
signature, or compares an answer with a message that names the likely mistake.
"""

from __future__ import annotations

import math

import numpy as np

from ._checker import compare
from .metrics import inception_score

__all__ = ["reference_inception_score", "compare_kl", "compare_inception_score"]


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


def compare_kl(expected, got) -> str | None:
    """``compare_fn`` for a discrete-KL exercise: :func:`compare`, then a guess at the unit if it differs.

    A value that is the right one divided by log 2 is in bits (``np.log2``), not nats.
    """
    diff = compare(expected, got)
    if diff is None:
        return None
    try:
        value = float(np.asarray(got, dtype=float))
    except (TypeError, ValueError):
        return diff
    if expected != 0 and _close(value * math.log(2.0), float(expected)):
        return diff + " -- that is the answer in bits; the workbook's KL is in nats (natural logarithm)"
    return diff


def compare_inception_score(expected, got) -> str | None:
    """``compare_fn`` for an inception-score exercise: :func:`compare`, then a guess at the mistake.

    A value that equals log(expected) is the exponent without the exponential.
    """
    diff = compare(expected, got)
    if diff is None:
        return None
    try:
        value = float(np.asarray(got, dtype=float))
    except (TypeError, ValueError):
        return diff
    if expected != 1 and _close(value, math.log(float(expected))):
        return diff + " -- that is log(IS): the score is the exponential of the mean KL"
    return diff

