"""Scores for the samples of a generative model, and the workbook's own digits classifier.

- Divergences and distances: :func:`kl_divergence` (discrete), :func:`frechet_distance`, :func:`fid`
  and :func:`fid_curve` (FID and its bias-free extrapolation), :func:`kid`, :func:`energy_distance`.
- Class-based: :func:`inception_score`, from the class probabilities of a classifier.
- Fidelity and diversity apart: :func:`precision_recall`, :func:`density_coverage`.
- Memorisation: :func:`nearest_neighbour_ratio`.
- Privacy: :func:`membership_inference_auc`, a distance-based membership-inference attack (GAN-Leaks'
  nearest sample, or Hilprecht et al.'s Monte-Carlo count) summarised by its ROC AUC.
- The ring-of-Gaussians benchmark: :func:`mode_coverage`.
- :class:`DigitsClassifier`: a small CNN for the 8x8 digits, trained here and shipped with the package,
  the feature extractor for FID, KID and precision/recall and the classifier for the inception score
  (no ImageNet network is available offline; scores computed with it are not comparable with
  published FID or IS values).

Everything takes NumPy arrays or torch tensors and computes in float64. A model's own likelihood bounds
stay with the model (e.g. :func:`course_utils.vae.iwae_log_likelihood`).
"""

from __future__ import annotations

import numpy as np

from ._metrics_distances import (
    FIDCurve,
    energy_distance,
    fid,
    fid_curve,
    frechet_distance,
    inception_score,
    kid,
    kl_divergence,
)
from ._metrics_distances import as_numpy as _as_numpy
from ._metrics_neighbours import (
    NearestNeighbourRatio,
    density_coverage,
    nearest_neighbour_ratio,
    precision_recall,
)
from ._metrics_privacy import MembershipInference, membership_inference_auc
from ._validation import as_float_array, check_positive_float

__all__ = ["kl_divergence", "frechet_distance", "fid", "fid_curve", "FIDCurve", "kid", "inception_score",
           "energy_distance", "precision_recall", "density_coverage", "nearest_neighbour_ratio",
           "NearestNeighbourRatio", "membership_inference_auc", "MembershipInference", "mode_coverage",
           "DigitsClassifier"]  # noqa: F822 (loaded lazily)


def __getattr__(name):
    # The classifier needs torch; load it only when asked for, so the NumPy scores import quickly.
    if name == "DigitsClassifier":
        from ._digits_classifier import DigitsClassifier

        return DigitsClassifier
    raise AttributeError(f"module 'course_utils.metrics' has no attribute {name!r}")


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
