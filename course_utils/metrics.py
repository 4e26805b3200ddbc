"""Scores for the samples of a generative model.

For now one score, for the ring-of-Gaussians benchmark (:func:`course_utils.datasets.ring_of_gaussians`):
how many of the modes a generator covers and how sharp its samples are. Scores that need no model
internals (sample-based, NumPy in, numbers out) belong here; a model's own likelihood bounds stay with
the model (e.g. :func:`course_utils.vae.iwae_log_likelihood`).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_positive_float

__all__ = ["mode_coverage"]


def _as_numpy(values):
    """Torch tensors (on any device) become NumPy arrays; everything else is passed through."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        return values.detach().cpu().numpy()
    return values


def mode_coverage(samples, centers, std: float, *, min_fraction: float = 0.01):
    r"""Count the covered modes of a mixture and the fraction of high-quality samples.

    A sample is *high quality* when it lies within 3 ``std`` of its nearest centre; a mode is *covered*
    when at least ``min_fraction`` of all samples are high quality and nearest to it (Metz et al., 2017,
    used this score for the ring of eight Gaussians).

    Parameters
    ----------
    samples : array or tensor, shape (n, D)
        Generated points; non-finite rows count as low quality.
    centers : array or tensor, shape (K, D)
        The modes' centres, e.g. :func:`course_utils.datasets.ring_centers`.
    std : float
        The modes' standard deviation.
    min_fraction : float
        Share of all samples a mode needs to count as covered (default 1%).

    Returns
    -------
    modes_covered : int
        Between 0 and K.
    high_quality_fraction : float
        Between 0 and 1.

    Notes
    -----
    With :math:`k(x) = \arg\min_k \lVert x - c_k\rVert` the nearest centre and
    :math:`G = \{x : \lVert x - c_{k(x)}\rVert \le 3\sigma\}` the high-quality samples, mode :math:`k` is
    covered when :math:`|\{x \in G : k(x) = k\}| \ge` ``min_fraction`` :math:`\cdot\, n`.

    Examples
    --------
    >>> centers = np.array([[0.0, 0.0], [5.0, 0.0]])
    >>> mode_coverage(np.array([[0.01, 0.0], [0.0, 0.02], [9.0, 9.0]]), centers, std=0.02)
    (1, 0.6666666666666666)
    """
    samples = as_float_array(_as_numpy(samples), "samples", ndim=2, finite=False)
    centers = as_float_array(_as_numpy(centers), "centers", ndim=2)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples and centers must have the same number of columns "
                         f"(got {samples.shape[1]} and {centers.shape[1]})")
    std = check_positive_float(std, "std")
    min_fraction = check_positive_float(min_fraction, "min_fraction")
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)  # (n, K)
    dist = np.where(np.isfinite(dist), dist, np.inf)  # non-finite samples are never high quality
    nearest = dist.argmin(axis=1)  # (n,)
    good = dist[np.arange(len(samples)), nearest] <= 3 * std  # (n,)
    counts = np.bincount(nearest[good], minlength=len(centers))  # (K,)
    modes_covered = int((counts >= min_fraction * len(samples)).sum())
    return modes_covered, float(good.mean())
