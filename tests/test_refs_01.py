"""Notebook 01's exercise checks: correct solutions written other ways pass, common mistakes fail.

The cases are built like the notebook's check cells (customers from three groups, a poor start, an
empty cluster, a tie, 1-D and 3-D data), so these tests are the measured evidence that the checks are
fair (STYLE.md rule 17, DEVELOPERS.md rule 3). Every check here is exact (no randomness in the
answers), so there is no false-fail rate to measure.
"""

import warnings

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import course_utils as cu
from course_utils import exercises as ex

# ------------------------------------------------------------------ the notebook's cases


def customers(seed=0):
    rng = np.random.default_rng(seed)
    kind = np.repeat(np.arange(3), 100)  # (300,)
    means = np.array([(0.5, 1.0), (1.5, 4.0), (4.0, 2.0)])[kind]  # (300, 2)
    stds = np.array([(0.2, 0.4), (0.3, 0.8), (0.6, 0.6)])[kind]  # (300, 2)
    X = np.abs(rng.normal(means, stds))  # (300, 2)
    init = X[rng.choice(np.flatnonzero(kind == 0), 3, replace=False)]  # (3, 2): a poor start
    return X, init


X_CUST, INIT = customers()
X_EMPTY = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 10.0]])


def assign_cases():
    rng = np.random.default_rng(1)
    return [ex.case(X_CUST, INIT, label="the customers, poor start"),
            ex.case(rng.normal(size=(50, 3)), rng.normal(size=(5, 3)), label="3-D, five centres"),
            ex.case(np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([[1.0, 0.0], [-1.0, 0.0]]), label="a tie"),
            ex.case(rng.normal(size=(10, 2)), np.zeros((1, 2)), label="a single centre")]


def update_cases():
    rng = np.random.default_rng(2)
    labels = cu.clustering.assign_labels(X_CUST, INIT)
    return [ex.case(X_CUST, labels, INIT, label="the customers after one assignment"),
            ex.case(rng.normal(size=(30, 3)), rng.integers(0, 4, 30), rng.normal(size=(4, 3)), label="3-D"),
            ex.case(X_EMPTY, np.array([0, 0, 2]), np.array([[5.0, 5.0], [-7.0, 3.0], [9.0, 9.0]]),
                    label="cluster 1 is empty"),
            ex.case(X_EMPTY, np.array([0, 0, 1]), np.array([[5.0, 5.0], [-7.0, 3.0], [9.0, 9.0]]),
                    label="cluster 2, the last one, is empty"),
            ex.case(X_EMPTY, np.array([0, 1, 2]), np.zeros((3, 2)), label="one point per cluster")]


def j_trace_cases():
    rng = np.random.default_rng(3)
    done = cu.clustering.kmeans(X_CUST, 3, init=INIT)
    return [ex.case(X_CUST, INIT, rng.integers(0, 3, len(X_CUST)), label="the customers, random labels"),
            ex.case(X_CUST, done.centers, done.labels, label="already converged"),
            ex.case(X_EMPTY, np.array([[0.5, 0.0], [100.0, 100.0], [10.0, 10.0]]), np.array([0, 1, 2]),
                    label="centre 1 ends up with no points"),
            ex.case(rng.normal(size=(20, 1)), rng.normal(size=(4, 1)), rng.integers(0, 4, 20), label="1-D")]


def run_check(fn, reference, cases, capsys):
    out = ex.check(fn, reference, cases=cases, hint="the hint")
    return out is fn, capsys.readouterr().out


# ------------------------------------------------------------------ exercise 1: the assignment step


def assign_loop(X, centers):
    labels = np.zeros(len(X), dtype=int)
    for j, x in enumerate(X):
        best = np.inf
        for i, c in enumerate(centers):
            d = float(((x - c) ** 2).sum())
            if d < best:
                best, labels[j] = d, i
    return labels


def assign_cdist(X, centers):
    return cdist(X, centers, "sqeuclidean").argmin(axis=1)


def assign_norm(X, centers):  # distances, not squared: the same nearest centre
    return np.linalg.norm(X[:, None, :] - centers[None, :, :], axis=2).argmin(axis=1)


def assign_expanded(X, centers):  # |x|^2 - 2 x.mu + |mu|^2
    return ((X ** 2).sum(1)[:, None] - 2 * X @ centers.T + (centers ** 2).sum(1)).argmin(1)


@pytest.mark.parametrize("fn", [assign_loop, assign_cdist, assign_norm, assign_expanded])
def test_assign_check_accepts_correct_solutions(fn, capsys):
    passed, out = run_check(fn, cu.clustering.assign_labels, assign_cases(), capsys)
    assert passed, out


@pytest.mark.parametrize("fn, message", [
    (lambda X, C: (((X[:, None, :] - C[None]) ** 2).sum(2)).argmin(axis=0), "should have shape"),
    (lambda X, C: (((X[:, None, :] - C[None]) ** 2).sum(2)).argmax(axis=1), "differs at index"),
    (lambda X, C: ((X[:, None, :] - C[None]) ** 2).sum(2), "should have shape"),  # the table, not labels
    (lambda X, C: np.abs((X[:, None, :] - C[None]).sum(2)).argmin(axis=1), "differs at index"),  # no square
])
def test_assign_check_rejects_common_mistakes(fn, message, capsys):
    passed, out = run_check(fn, cu.clustering.assign_labels, assign_cases(), capsys)
    assert not passed and message in out and "Hint: the hint" in out


# ------------------------------------------------------------------ exercise 2: the update step


def update_loop(X, labels, old_centers):
    new = np.array(old_centers, dtype=float)
    for i in range(len(new)):
        if np.any(labels == i):
            new[i] = X[labels == i].mean(axis=0)
    return new


def update_bincount(X, labels, old_centers):
    K = len(old_centers)
    counts = np.bincount(labels, minlength=K)  # (K,)
    sums = np.stack([np.bincount(labels, weights=X[:, d], minlength=K) for d in range(X.shape[1])], 1)
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], old_centers)


def update_one_hot(X, labels, old_centers):
    R = np.eye(len(old_centers))[labels]  # (n, K)
    counts = R.sum(0)  # (K,)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (R.T @ X) / counts[:, None]
    return np.where(counts[:, None] > 0, means, old_centers)


@pytest.mark.parametrize("fn", [update_loop, update_bincount, update_one_hot])
def test_update_check_accepts_correct_solutions(fn, capsys):
    passed, out = run_check(ex.forbid_in_place(fn), ex.reference_update_centers, update_cases(), capsys)
    assert passed, out


def update_no_empty_case(X, labels, old_centers):
    return np.array([X[labels == i].mean(axis=0) for i in range(len(old_centers))])


def update_in_place(X, labels, old_centers):
    for i in range(len(old_centers)):
        if np.any(labels == i):
            old_centers[i] = X[labels == i].mean(axis=0)
    return old_centers


def update_median(X, labels, old_centers):
    new = np.array(old_centers, dtype=float)
    for i in range(len(new)):
        if np.any(labels == i):
            new[i] = np.median(X[labels == i], axis=0)
    return new


def update_k_from_labels(X, labels, old_centers):  # K = labels.max() + 1 loses an empty last cluster
    new = np.array(old_centers, dtype=float)[: labels.max() + 1]
    for i in range(len(new)):
        if np.any(labels == i):
            new[i] = X[labels == i].mean(axis=0)
    return new


@pytest.mark.parametrize("fn, message", [(update_no_empty_case, "contains NaN"),
                                         (update_k_from_labels, "should have shape"),
                                         (update_in_place, "changed its argument 'old_centers' in place"),
                                         (update_median, "differs at index")])
def test_update_check_rejects_common_mistakes(fn, message, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty slice
        passed, out = run_check(ex.forbid_in_place(fn), ex.reference_update_centers, update_cases(), capsys)
    assert not passed and message in out, out


def test_forbid_in_place_keeps_name_results_and_not_attempted():
    wrapped = ex.forbid_in_place(update_loop)
    assert wrapped.__name__ == "update_loop"
    old = np.array([[5.0, 5.0], [-7.0, 3.0], [9.0, 9.0]])
    np.testing.assert_allclose(wrapped(X_EMPTY, np.array([0, 0, 2]), old), [[0.5, 0.0], [-7.0, 3.0], [10, 10]])

    def stub(X, labels, old_centers):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        ex.forbid_in_place(stub)(X_EMPTY, np.array([0, 0, 2]), old)
    with pytest.raises(ValueError, match="'old_centers' in place"):
        ex.forbid_in_place(update_in_place)(X_EMPTY, np.array([0, 0, 2]), old.copy())
    with pytest.raises(ValueError, match="'labels' in place"):  # keyword arguments are watched too
        ex.forbid_in_place(lambda X, labels: labels.sort())(X_EMPTY, labels=np.array([2, 0, 1]))


# ------------------------------------------------------------------ exercise 3: J before and after


def j_trace_library(X, centers, labels):
    new_labels = cu.clustering.assign_labels(X, centers)
    new_centers = ex.reference_update_centers(X, new_labels, centers)
    J = cu.clustering.kmeans_objective
    return J(X, centers, labels), J(X, centers, new_labels), J(X, new_centers, new_labels)


def j_trace_by_hand(X, centers, labels):  # J with loops, a list instead of a tuple
    def J(C, lab):
        return sum(float(((X[j] - C[lab[j]]) ** 2).sum()) for j in range(len(X)))

    new_labels = assign_loop(X, centers)
    new_centers = update_loop(X, new_labels, centers)
    return [J(centers, labels), J(centers, new_labels), J(new_centers, new_labels)]


def j_trace_norms(X, centers, labels):
    new_labels = assign_norm(X, centers)
    new_centers = update_bincount(X, new_labels, centers)
    return tuple(float(np.linalg.norm(X - C[lab]) ** 2)
                 for C, lab in [(centers, labels), (centers, new_labels), (new_centers, new_labels)])


@pytest.mark.parametrize("fn", [j_trace_library, j_trace_by_hand, j_trace_norms])
def test_j_trace_check_accepts_correct_solutions(fn, capsys):
    passed, out = run_check(fn, ex.reference_j_trace, j_trace_cases(), capsys)
    assert passed, out


def j_trace_keeps_old_labels(X, centers, labels):  # updates from the labels it was given
    J = cu.clustering.kmeans_objective
    new_labels = cu.clustering.assign_labels(X, centers)
    new_centers = ex.reference_update_centers(X, labels, centers)
    return J(X, centers, labels), J(X, centers, new_labels), J(X, new_centers, new_labels)


def j_trace_before_uses_nearest(X, centers, labels):  # J_before with the nearest centres
    J = cu.clustering.kmeans_objective
    new_labels = cu.clustering.assign_labels(X, centers)
    new_centers = ex.reference_update_centers(X, new_labels, centers)
    return J(X, centers, new_labels), J(X, centers, new_labels), J(X, new_centers, new_labels)


def j_trace_distances(X, centers, labels):  # distances, not squared
    new_labels = cu.clustering.assign_labels(X, centers)
    new_centers = ex.reference_update_centers(X, new_labels, centers)
    return tuple(float(np.linalg.norm(X - C[lab], axis=1).sum())
                 for C, lab in [(centers, labels), (centers, new_labels), (new_centers, new_labels)])


def j_trace_mean(X, centers, labels):  # a mean over points instead of the sum
    return tuple(v / len(X) for v in j_trace_library(X, centers, labels))


@pytest.mark.parametrize("fn, message", [(j_trace_keeps_old_labels, "result[2]"),
                                         (j_trace_before_uses_nearest, "result[0]"),
                                         (j_trace_distances, "result[0]"),
                                         (j_trace_mean, "result[0]")])
def test_j_trace_check_rejects_common_mistakes(fn, message, capsys):
    passed, out = run_check(fn, ex.reference_j_trace, j_trace_cases(), capsys)
    assert not passed and message in out, out


# ------------------------------------------------------------------ the notebook's wrappers: integer labels, no shortcuts

# The names each check cell passes to cu.exercises.forbid_calls (c037, c040, c043); reference_* is always refused.
ASSIGN_FORBIDDEN = ["assign_labels", "kmeans", "KMeans", "MiniBatchKMeans", "predict", "fit_predict",
                    "pairwise_distances_argmin", "pairwise_distances_argmin_min", "NearestNeighbors", "kneighbors",
                    "NearestCentroid", "KDTree", "cKDTree", "vq"]
UPDATE_FORBIDDEN = ["update_centers", "kmeans", "KMeans", "MiniBatchKMeans", "NearestCentroid", "fit", "fit_predict"]
J_TRACE_FORBIDDEN = ["kmeans", "KMeans", "MiniBatchKMeans"]


def check_assign(fn, capsys):
    wrapped = ex.forbid_calls(fn, ASSIGN_FORBIDDEN, rule="compute the nearest centre yourself")
    out = ex.check(wrapped, cu.clustering.assign_labels, cases=assign_cases(), compare_fn=ex.compare_int_labels,
                   hint="h")
    return out is wrapped, capsys.readouterr().out


@pytest.mark.parametrize("fn", [assign_loop, assign_cdist, assign_norm, assign_expanded])
def test_notebook_assign_check_accepts_correct_solutions(fn, capsys):
    passed, out = check_assign(fn, capsys)
    assert passed, out


def assign_float_loop(X, centers):  # right values, float dtype: C[labels] fails later
    labels = np.zeros(len(X))
    for j, x in enumerate(X):
        labels[j] = np.argmin(((centers - x) ** 2).sum(1))
    return labels


def assign_list(X, centers):
    return [int(np.argmin(((centers - x) ** 2).sum(1))) for x in X]


def assign_shortcut(X, centers):
    return cu.clustering.assign_labels(X, centers)


def assign_sklearn(X, centers):
    from sklearn.metrics import pairwise_distances_argmin
    return pairwise_distances_argmin(X, centers)


def assign_via_helper(X, centers):  # the shortcut hidden in a helper of the same module
    return assign_shortcut(X, centers)


@pytest.mark.parametrize("fn, message", [(assign_float_loop, "integers"), (assign_list, "integers"),
                                         (assign_shortcut, "assign_labels"),
                                         (assign_sklearn, "pairwise_distances_argmin"),
                                         (assign_via_helper, "assign_labels")])
def test_notebook_assign_check_rejects_float_labels_and_shortcuts(fn, message, capsys):
    passed, out = check_assign(fn, capsys)
    assert not passed and message in out, out


def _compare_int_labels_cases():
    assert ex.compare_int_labels(np.array([0, 1]), np.array([0, 1], dtype=np.int32)) is None
    assert "differs at index" in ex.compare_int_labels(np.array([0, 1]), np.array([0, 0]))
    assert "dtype bool" in ex.compare_int_labels(np.array([0, 1]), np.array([False, True]))


def test_compare_int_labels():
    _compare_int_labels_cases()


def check_update(fn, capsys):
    wrapped = ex.forbid_calls(ex.forbid_in_place(fn), UPDATE_FORBIDDEN, rule="compute the means yourself")
    out = ex.check(wrapped, ex.reference_update_centers, cases=update_cases(), hint="h")
    return out is wrapped, capsys.readouterr().out


@pytest.mark.parametrize("fn", [update_loop, update_bincount, update_one_hot])
def test_notebook_update_check_accepts_correct_solutions(fn, capsys):
    passed, out = check_update(fn, capsys)
    assert passed, out


def update_shortcut_ref(X, labels, old_centers):
    return ex.reference_update_centers(X, labels, old_centers)


def update_shortcut_cu(X, labels, old_centers):
    return cu.clustering.update_centers(X, labels, len(old_centers), old_centers=old_centers)


@pytest.mark.parametrize("fn, message", [(update_shortcut_ref, "reference_update_centers"),
                                         (update_shortcut_cu, "update_centers"),
                                         (update_in_place, "in place")])
def test_notebook_update_check_rejects_shortcuts(fn, message, capsys):
    passed, out = check_update(fn, capsys)
    assert not passed and message in out, out


def check_j_trace(fn, capsys):
    wrapped = ex.forbid_calls(fn, J_TRACE_FORBIDDEN, rule="use the two steps and kmeans_objective")
    out = ex.check(wrapped, ex.reference_j_trace, cases=j_trace_cases(), hint="h")
    return out is wrapped, capsys.readouterr().out


def j_trace_cu_steps(X, centers, labels):  # allowed: the cu.clustering steps and J
    J = cu.clustering.kmeans_objective
    new_labels = cu.clustering.assign_labels(X, centers)
    new_centers = cu.clustering.update_centers(X, new_labels, len(centers), old_centers=centers)
    return J(X, centers, labels), J(X, centers, new_labels), J(X, new_centers, new_labels)


@pytest.mark.parametrize("fn", [j_trace_cu_steps, j_trace_by_hand, j_trace_norms])
def test_notebook_j_trace_check_accepts_correct_solutions(fn, capsys):
    passed, out = check_j_trace(fn, capsys)
    assert passed, out


def j_trace_shortcut(X, centers, labels):
    return ex.reference_j_trace(X, centers, labels)


@pytest.mark.parametrize("fn, message", [(j_trace_shortcut, "reference_j_trace"),
                                         (j_trace_library, "reference_update_centers"),
                                         (j_trace_mean, "reference_update_centers")])  # via j_trace_library
def test_notebook_j_trace_check_rejects_shortcuts(fn, message, capsys):
    passed, out = check_j_trace(fn, capsys)
    assert not passed and message in out, out


def test_rerunning_a_check_cell_after_a_failure_keeps_later_cells_working(capsys):
    def my_assign_labels(X, centers):
        return np.zeros(len(X))  # float labels: rejected

    fn = my_assign_labels
    for _ in range(2):  # the check cell run twice, the definition once
        fn = ex.check(ex.forbid_calls(fn, ASSIGN_FORBIDDEN, rule="r"), cu.clustering.assign_labels,
                      cases=assign_cases(), compare_fn=ex.compare_int_labels)
        np.testing.assert_array_equal(fn(X_CUST, INIT), cu.clustering.assign_labels(X_CUST, INIT))
    assert "❌" in capsys.readouterr().out
