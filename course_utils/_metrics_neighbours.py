"""Scores built on nearest neighbours: fidelity and diversity apart, and memorisation.

The public names are re-exported by :mod:`course_utils.metrics`; read their documentation there.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ._metrics_distances import feature_matrix, same_columns
from ._validation import check_positive_int, check_rng


def _kth_neighbour_radius(X: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest *other* row."""
    distances, _ = cKDTree(X).query(X, k=k + 1)
    return distances[:, k]


def _inside_counts(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int = 1024):
    """For each point, how many balls B(centre_i, radius_i) contain it; and for each ball whether any does."""
    counts = np.zeros(len(points), dtype=np.int64)
    hit = np.zeros(len(centres), dtype=bool)
    for start in range(0, len(points), chunk):
        inside = cdist(points[start:start + chunk], centres) <= radii[None, :]  # (chunk, n_centres)
        counts[start:start + chunk] = inside.sum(axis=1)
        hit |= inside.any(axis=0)
    return counts, hit


def _checked_pair(real, fake, k: int):
    k = check_positive_int(k, "k")
    real = feature_matrix(real, "real", min_rows=k + 1)
    fake = feature_matrix(fake, "fake", min_rows=1)
    same_columns(real, fake, "real", "fake")
    return real, fake, k


def precision_recall(real, fake, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019).

    Each set's manifold is the union of balls around its points, each ball's radius being the distance
    to the point's k-th nearest neighbour in the same set. **Precision** is the share of fake points
    inside the real manifold (fidelity); **recall** the share of real points inside the fake manifold
    (diversity). A tight cluster of fakes in one mode scores high precision and low recall.

    Parameters
    ----------
    real, fake : array or tensor, shape (n, d) and (m, d)
        Features (or raw points) of real and generated samples; both need more than k rows.
    k : int
        Neighbourhood size (default 3, the paper's choice).
    """
    real, fake, k = _checked_pair(real, fake, k)
    if len(fake) < k + 1:
        raise ValueError(f"fake needs at least k + 1 = {k + 1} rows (got {len(fake)})")
    in_real, _ = _inside_counts(fake, real, _kth_neighbour_radius(real, k))
    in_fake, _ = _inside_counts(real, fake, _kth_neighbour_radius(fake, k))
    return float((in_real > 0).mean()), float((in_fake > 0).mean())


def density_coverage(real, fake, k: int = 5) -> tuple[float, float]:
    r"""Density and coverage (Naeem et al., ICML 2020): fidelity and diversity that resist outliers.

    With balls :math:`B(x_i, r_i)` around the real points (:math:`r_i` the distance to the k-th
    nearest real neighbour), **density** is :math:`\frac{1}{kM}\sum_j \#\{i : y_j \in B(x_i, r_i)\}`
    (about 1 when fake and real share a distribution; above 1 when fakes crowd dense regions) and
    **coverage** the share of real balls that hold at least one fake (about
    :math:`1 - 2^{-k}` for two equal-sized samples of one distribution).
    """
    real, fake, k = _checked_pair(real, fake, k)
    counts, hit = _inside_counts(fake, real, _kth_neighbour_radius(real, k))
    return float(counts.sum() / (k * len(fake))), float(hit.mean())


class NearestNeighbourRatio(NamedTuple):
    """Distances from generated samples to their nearest training and held-out points."""

    ratio: float  #: median distance to train / median distance to held-out; well below 1 = memorising
    train_distances: np.ndarray  #: (n,) distance from each sample to its nearest training point
    test_distances: np.ndarray  #: (n,) distance from each sample to its nearest held-out point


def nearest_neighbour_ratio(samples, train, test, *, seed=0) -> NearestNeighbourRatio:
    """The memorisation check: are samples closer to the training set than to held-out data?

    A model that generalises puts its samples as close to unseen data as to the data it was trained on
    (ratio about 1); one that memorises copies training points (ratio well below 1, train distances
    near 0). The nearest-neighbour distance shrinks as a set grows, so the larger of ``train`` and
    ``test`` is first subsampled (without replacement, with ``seed``) to the size of the smaller.
    """
    samples = feature_matrix(samples, "samples", min_rows=1)
    train, test = feature_matrix(train, "train", min_rows=1), feature_matrix(test, "test", min_rows=1)
    same_columns(samples, train, "samples", "train")
    same_columns(train, test, "train", "test")
    rng = check_rng(seed)
    n = min(len(train), len(test))
    if len(train) > n:
        train = train[rng.choice(len(train), n, replace=False)]
    if len(test) > n:
        test = test[rng.choice(len(test), n, replace=False)]
    d_train = cKDTree(train).query(samples, k=1)[0]
    d_test = cKDTree(test).query(samples, k=1)[0]
    median_test = np.median(d_test)
    ratio = np.median(d_train) / median_test if median_test > 0 else float("nan")
    return NearestNeighbourRatio(float(ratio), d_train, d_test)
