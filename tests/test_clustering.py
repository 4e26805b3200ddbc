import itertools
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from course_utils.clustering import (
    assign_labels,
    kmeans,
    kmeans_objective,
    kmeans_plusplus,
    label_mapping,
    match_labels,
    update_centers,
)
from course_utils.datasets import load_fruits, load_iris


def test_worked_example_by_hand():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 2.0]])
    result = kmeans(X, 2, init=np.array([[1.0, 0.0], [9.0, 0.0]]))
    np.testing.assert_allclose(result.centers, [[0.0, 0.5], [10.0, 1.0]], atol=1e-12)
    assert result.labels.tolist() == [0, 0, 1, 1]
    assert result.inertia == pytest.approx(0.25 * 2 + 1.0 * 2, abs=1e-12)


@pytest.mark.parametrize("data, k", [("blobs", 3), ("blobs", 5), ("iris", 3), ("fruits", 3)])
def test_matches_sklearn_from_the_same_initial_centres(data, k):
    if data == "blobs":
        X, _ = make_blobs(n_samples=400, centers=4, n_features=3, random_state=1)
    elif data == "iris":
        X = load_iris().X
    else:
        X = load_fruits().X
    init = X[np.random.default_rng(k).choice(len(X), k, replace=False)]
    ours = kmeans(X, k, init=init, max_iter=300, tol=1e-4)
    ref = KMeans(n_clusters=k, init=init, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-10)
    np.testing.assert_array_equal(ours.labels, ref.labels_)


def test_objective_never_increases_and_history_matches():
    X, _ = make_blobs(n_samples=500, centers=6, random_state=3)
    result = kmeans(X, 6, rng=0, tol=0.0, max_iter=50)
    history = np.array(result.objective_history)
    assert np.all(np.diff(history) <= 1e-9 * history[0])
    assert history[-1] >= result.inertia - 1e-9


def test_each_step_does_not_increase_j():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    centers = rng.normal(size=(4, 2))
    labels = rng.integers(0, 4, size=200)
    j0 = kmeans_objective(X, centers, labels)
    labels = assign_labels(X, centers)
    j1 = kmeans_objective(X, centers, labels)
    centers = update_centers(X, labels, 4, old_centers=centers)
    j2 = kmeans_objective(X, centers, labels)
    assert j0 >= j1 >= j2


def test_assign_labels_against_brute_force():
    rng = np.random.default_rng(5)
    X, C = rng.normal(size=(50, 3)), rng.normal(size=(4, 3))
    brute = np.array([np.argmin([np.sum((x - c) ** 2) for c in C]) for x in X])
    np.testing.assert_array_equal(assign_labels(X, C), brute)


def test_update_keeps_empty_cluster_centre():
    X = np.array([[0.0], [2.0]])
    new = update_centers(X, np.array([0, 0]), 2, old_centers=np.array([[5.0], [7.0]]))
    np.testing.assert_allclose(new, [[1.0], [7.0]])
    with pytest.raises(ValueError, match="no points"):
        update_centers(X, np.array([0, 0]), 2)


def test_kmeans_plusplus_is_reproducible_and_picks_data_points():
    X, _ = make_blobs(n_samples=100, centers=3, random_state=0)
    a, b = kmeans_plusplus(X, 3, rng=7), kmeans_plusplus(X, 3, rng=7)
    np.testing.assert_array_equal(a, b)
    assert all(any(np.allclose(c, x) for x in X) for c in a)


def test_kmeans_separates_well_separated_groups():
    X, y = make_blobs(n_samples=300, centers=[[0, 0], [20, 0], [0, 20]], cluster_std=0.5, random_state=2)
    labels = kmeans(X, 3, rng=1).labels
    # each true group maps to exactly one cluster
    assert all(len(set(labels[y == g])) == 1 for g in range(3))
    assert len(set(labels)) == 3


def test_convergence_warning():
    from sklearn.exceptions import ConvergenceWarning

    X, _ = make_blobs(n_samples=300, centers=8, random_state=4)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        kmeans(X, 8, max_iter=1, tol=0.0, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kmeans(X, 8, rng=0)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(X=np.zeros((3, 2)), n_clusters=4), ValueError, "n_clusters must be <= n_samples"),
    (dict(X=np.zeros((3, 2)), n_clusters=0), ValueError, "n_clusters must be an integer >= 1"),
    (dict(X=np.zeros(3), n_clusters=1), ValueError, "X must be 2-D"),
    (dict(X=np.array([[0.0, np.nan], [1.0, 1.0]]), n_clusters=1), ValueError, "X must hold finite"),
    (dict(X=np.zeros((3, 2)), n_clusters=2, init=np.zeros((3, 2))), ValueError, r"init must have shape \(2, 2\)"),
    (dict(X=np.zeros((3, 2)), n_clusters=2, init="forgy"), ValueError, "init must be"),
    (dict(X=np.zeros((3, 2)), n_clusters=2, tol=-1.0), ValueError, "tol must be"),
    (dict(X=[["a", "b"]], n_clusters=1), TypeError, "X must be an array of numbers"),
])
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        kmeans(**kwargs)


def test_assign_labels_checks_dimensions():
    with pytest.raises(ValueError, match="centers must have 2 columns"):
        assign_labels(np.zeros((3, 2)), np.zeros((2, 3)))


# --- label matching -------------------------------------------------------------------------------

def _brute_force_agreement(y_true, y_pred):
    """Largest number of points on a paired (cluster, label) over all one-to-one pairings."""
    clusters, groups = np.unique(y_pred), np.unique(y_true)
    slots = max(len(clusters), len(groups))
    best = 0
    for perm in itertools.permutations(range(slots), len(clusters)):
        score = sum(np.sum((y_pred == c) & (y_true == groups[j]))
                    for c, j in zip(clusters, perm) if j < len(groups))
        best = max(best, score)
    return best


@pytest.mark.parametrize("k_true, k_pred", [(3, 3), (4, 4), (3, 5), (5, 3), (2, 4), (1, 3), (3, 1)])
@pytest.mark.parametrize("seed", range(4))
def test_match_labels_agrees_with_brute_force(k_true, k_pred, seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k_true, 40)
    y_pred = np.where(rng.random(40) < 0.7, (y_true * 7 + 3) % k_pred, rng.integers(0, k_pred, 40))
    matched = match_labels(y_true, y_pred)
    mapping = label_mapping(y_true, y_pred)
    assert int(np.sum(matched == y_true)) == _brute_force_agreement(y_true, y_pred)
    # one-to-one: distinct clusters keep distinct labels, and the mapping is what was applied
    assert len(set(mapping.values())) == len(mapping) == len(np.unique(y_pred))
    np.testing.assert_array_equal(matched, [mapping[c] for c in y_pred])
    # unpaired clusters get fresh labels above the known ones
    extra = [v for v in mapping.values() if v not in set(y_true.tolist())]
    assert sorted(extra) == list(range(y_true.max() + 1, y_true.max() + 1 + len(extra)))


def test_match_labels_undoes_a_permutation():
    y_true = np.repeat([0, 1, 2, 3], 5)
    perm = np.array([2, 0, 3, 1])
    np.testing.assert_array_equal(match_labels(y_true, perm[y_true]), y_true)
    assert label_mapping(y_true, perm[y_true]) == {2: 0, 0: 1, 3: 2, 1: 3}


def test_match_labels_more_clusters_than_groups_by_hand():
    y_true = np.array([0, 0, 0, 1, 1, 1])
    y_pred = np.array([5, 5, 7, 9, 9, 9])  # cluster 7 is the extra one
    assert label_mapping(y_true, y_pred) == {5: 0, 7: 2, 9: 1}
    np.testing.assert_array_equal(match_labels(y_true, y_pred), [0, 0, 2, 1, 1, 1])


def test_match_labels_fixes_kmeans_names():
    X, y = make_blobs(n_samples=300, centers=[[0, 0], [20, 0], [0, 20]], cluster_std=0.5, random_state=2)
    labels = kmeans(X, 3, rng=1).labels
    np.testing.assert_array_equal(match_labels(y, labels), y)


@pytest.mark.parametrize("args, exc, match", [
    (([0, 1], [0, 1, 1]), ValueError, "same length"),
    (([], []), ValueError, "non-empty 1-D"),
    (([[0, 1]], [[0, 1]]), ValueError, "non-empty 1-D"),
    (([0, 1], [0.5, 1.0]), TypeError, "integer labels"),
])
def test_match_labels_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        match_labels(*args)
