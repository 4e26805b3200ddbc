"""K-means from scratch (Lloyd's algorithm with k-means++ seeding).

The objective is the within-cluster sum of squares

.. math:: J = \\sum_{i=1}^{K} \\sum_{x \\in C_i} \\lVert x - \\mu_i \\rVert^2 ,

which neither step can increase: the assignment step picks the nearest centre for every point, the update
step moves every centre to the mean of its points (the minimiser of the squared distances to them).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.exceptions import ConvergenceWarning

from ._validation import as_float_array, check_positive_int, check_rng

__all__ = ["KMeansResult", "kmeans", "assign_labels", "update_centers", "kmeans_objective",
           "kmeans_plusplus", "label_mapping", "match_labels"]


@dataclasses.dataclass
class KMeansResult:
    """Result of :func:`kmeans`.

    Attributes
    ----------
    centers : ndarray, shape (K, D)
    labels : ndarray of int, shape (n,)
    inertia : float
        Final objective J (sum of squared distances to the assigned centre).
    objective_history : list of float
        J after each assignment step, one value per iteration; never increases.
    n_iter : int
    converged : bool
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    objective_history: list
    n_iter: int
    converged: bool


def _squared_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances, shape (n, K), via ||x||^2 - 2 x.mu + ||mu||^2 clipped at zero."""
    d2 = (X * X).sum(1)[:, None] - 2.0 * X @ centers.T + (centers * centers).sum(1)[None, :]  # (n, K)
    return np.maximum(d2, 0.0)


def assign_labels(X, centers) -> np.ndarray:
    """Assignment step: the index of the nearest centre for every point.

    Parameters
    ----------
    X : array_like, shape (n, D)
    centers : array_like, shape (K, D)

    Returns
    -------
    labels : ndarray of int, shape (n,)
        Ties go to the lowest index.
    """
    X = as_float_array(X, "X", ndim=2)
    centers = as_float_array(centers, "centers", ndim=2)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(f"centers must have {X.shape[1]} columns like X (got shape {centers.shape})")
    return _squared_distances(X, centers).argmin(axis=1)


def update_centers(X, labels, n_clusters: int, old_centers=None) -> np.ndarray:
    """Update step: each centre becomes the mean of the points assigned to it.

    A cluster that lost all its points keeps its old centre (``old_centers``); without ``old_centers``
    that is an error (a mean of no points is undefined).

    Returns
    -------
    centers : ndarray, shape (K, D)
    """
    X = as_float_array(X, "X", ndim=2)
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},) (got {labels.shape})")
    if labels.min() < 0 or labels.max() >= n_clusters:
        raise ValueError(f"labels must lie in [0, {n_clusters - 1}] (got {labels.min()}..{labels.max()})")
    counts = np.bincount(labels, minlength=n_clusters)  # (K,)
    sums = np.zeros((n_clusters, X.shape[1]))
    np.add.at(sums, labels, X)  # (K, D)
    empty = counts == 0
    if empty.any():
        if old_centers is None:
            raise ValueError(f"cluster(s) {np.flatnonzero(empty).tolist()} have no points; pass old_centers")
        centers = np.array(old_centers, dtype=float, copy=True)
        centers[~empty] = sums[~empty] / counts[~empty, None]
        return centers
    return sums / counts[:, None]


def kmeans_objective(X, centers, labels) -> float:
    """J: the sum over points of the squared distance to their assigned centre."""
    X = np.asarray(X, dtype=float)
    centers = np.asarray(centers, dtype=float)
    return float(((X - centers[labels]) ** 2).sum())


def kmeans_plusplus(X, n_clusters: int, rng=None) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii, 2007): each new centre is drawn with probability
    proportional to its squared distance from the nearest centre chosen so far.

    Returns
    -------
    centers : ndarray, shape (K, D)
    """
    X = as_float_array(X, "X", ndim=2)
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    rng = check_rng(rng)
    centers = np.empty((n_clusters, X.shape[1]))
    centers[0] = X[rng.integers(X.shape[0])]
    closest = _squared_distances(X, centers[:1])[:, 0]  # (n,)
    for k in range(1, n_clusters):
        total = closest.sum()
        idx = rng.integers(X.shape[0]) if total <= 0 else rng.choice(X.shape[0], p=closest / total)
        centers[k] = X[idx]
        closest = np.minimum(closest, _squared_distances(X, centers[k : k + 1])[:, 0])
    return centers


def kmeans(X, n_clusters: int, *, init="k-means++", max_iter: int = 300, tol: float = 1e-4,
           rng=None) -> KMeansResult:
    """Cluster ``X`` into ``n_clusters`` groups with Lloyd's algorithm.

    Parameters
    ----------
    X : array_like, shape (n, D)
    n_clusters : int
        K, at most the number of samples.
    init : "k-means++", "random" or array_like of shape (K, D)
        Initial centres. With the same array, the result matches scikit-learn's
        ``KMeans(init=centers, n_init=1, algorithm="lloyd")``.
    max_iter : int
    tol : float
        Stop when the squared centre movement, summed, falls to ``tol`` times the mean per-feature
        variance of ``X`` or below (scikit-learn's rule).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    KMeansResult

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> kmeans(X, 2, init=np.array([[0.0], [5.0]])).centers.ravel()
    array([0.05, 5.05])
    """
    X = as_float_array(X, "X", ndim=2)
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    max_iter = check_positive_int(max_iter, "max_iter")
    if n_clusters > X.shape[0]:
        raise ValueError(f"n_clusters must be <= n_samples={X.shape[0]} (got {n_clusters})")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a non-negative number (got {tol})")
    rng = check_rng(rng)
    if isinstance(init, str):
        if init == "k-means++":
            centers = kmeans_plusplus(X, n_clusters, rng)
        elif init == "random":
            centers = X[rng.choice(X.shape[0], n_clusters, replace=False)].copy()
        else:
            raise ValueError(f"init must be 'k-means++', 'random' or an array (got {init!r})")
    else:
        centers = as_float_array(init, "init", ndim=2).copy()
        if centers.shape != (n_clusters, X.shape[1]):
            raise ValueError(f"init must have shape ({n_clusters}, {X.shape[1]}) (got {centers.shape})")

    threshold = tol * X.var(axis=0).mean()
    history, converged = [], False
    for _ in range(max_iter):
        labels = _squared_distances(X, centers).argmin(axis=1)  # (n,)
        history.append(kmeans_objective(X, centers, labels))
        new_centers = update_centers(X, labels, n_clusters, old_centers=centers)  # (K, D)
        shift = ((new_centers - centers) ** 2).sum()
        centers = new_centers
        if shift <= threshold:
            converged = True
            break
    n_iter = len(history)
    labels = _squared_distances(X, centers).argmin(axis=1)
    if not converged:
        warnings.warn(f"kmeans did not converge in max_iter={max_iter} iterations; raise max_iter",
                      ConvergenceWarning, stacklevel=2)
    return KMeansResult(centers=centers, labels=labels, inertia=kmeans_objective(X, centers, labels),
                        objective_history=history, n_iter=n_iter, converged=converged)


def _as_label_array(labels, name: str) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of labels (got shape {arr.shape})")
    if not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise TypeError(f"{name} must hold integer labels (got dtype {arr.dtype})")
        arr = arr.astype(np.int64)
    return arr


def label_mapping(labels_true, labels_pred) -> dict:
    """The relabelling of clusters that agrees best with known groups (Hungarian matching).

    Cluster names are arbitrary: K-means' cluster 0 need not be group 0. This pairs every predicted
    cluster with at most one true label, and every true label with at most one cluster, so that the
    number of points whose cluster is paired with their own label is as large as possible. That is a
    maximum-weight assignment on the confusion table, solved exactly by
    ``scipy.optimize.linear_sum_assignment`` (the Hungarian algorithm; Kuhn, 1955).

    Parameters
    ----------
    labels_true : array_like of int, shape (n,)
        The known groups.
    labels_pred : array_like of int, shape (n,)
        The cluster of every point; the number of clusters may differ from the number of groups.

    Returns
    -------
    dict of int to int
        ``{cluster: label}`` for every cluster in ``labels_pred``. With more clusters than groups the
        unpaired clusters get fresh labels ``max(labels_true) + 1, + 2, ...`` in increasing order of
        their own label, so no two clusters share a label.

    Raises
    ------
    ValueError
        When the two arrays differ in shape or are empty.

    See Also
    --------
    match_labels : applies the mapping to ``labels_pred``.

    Examples
    --------
    >>> label_mapping([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])
    {0: 1, 1: 2, 2: 0}
    """
    y_true = _as_label_array(labels_true, "labels_true")
    y_pred = _as_label_array(labels_pred, "labels_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"labels_true and labels_pred must have the same length "
                         f"(got {y_true.shape[0]} and {y_pred.shape[0]})")
    clusters, pred_idx = np.unique(y_pred, return_inverse=True)  # (Kp,), (n,)
    groups, true_idx = np.unique(y_true, return_inverse=True)  # (Kt,), (n,)
    counts = np.zeros((len(clusters), len(groups)), dtype=np.int64)  # (Kp, Kt) confusion table
    np.add.at(counts, (pred_idx, true_idx), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    mapping = {int(clusters[r]): int(groups[c]) for r, c in zip(rows, cols)}
    fresh = int(groups.max()) + 1
    for cluster in clusters:
        if int(cluster) not in mapping:
            mapping[int(cluster)] = fresh
            fresh += 1
    return dict(sorted(mapping.items()))


def match_labels(labels_true, labels_pred) -> np.ndarray:
    """Rename the clusters in ``labels_pred`` so that they agree best with ``labels_true``.

    Use it before comparing clusters with known groups by eye or by a confusion table (scores such as
    the adjusted Rand index do not need it: they ignore names).

    Parameters
    ----------
    labels_true : array_like of int, shape (n,)
    labels_pred : array_like of int, shape (n,)

    Returns
    -------
    ndarray of int, shape (n,)
        ``labels_pred`` relabelled with :func:`label_mapping`: the Hungarian assignment on the
        confusion table; clusters beyond the number of groups get fresh labels.

    See Also
    --------
    label_mapping : the mapping itself.

    Examples
    --------
    >>> match_labels([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])
    array([0, 0, 1, 1, 2])
    """
    mapping = label_mapping(labels_true, labels_pred)
    clusters, inverse = np.unique(_as_label_array(labels_pred, "labels_pred"), return_inverse=True)
    return np.array([mapping[int(c)] for c in clusters], dtype=np.int64)[inverse.reshape(-1)]  # (n,)
