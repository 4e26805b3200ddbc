"""Notebook 12's exercise references (course_utils/_refs_eval.py) and its three check cells.

The check cells are taken from the notebook itself and run on other correct solutions (which must pass)
and on the common mistakes (which must fail with a message that points at the mistake). All three
checks are deterministic (fixed inputs, exact references), so there is no false-fail rate to measure.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors

import course_utils as cu
from course_utils import exercises as ex

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "12-challenges-in-generative-modeling.ipynb"
X_TRAIN, X_TEST = train_test_split(cu.datasets.load_digits().X / 16.0, test_size=0.5, random_state=0)


# --- the references ---------------------------------------------------------------------------------

def test_kde_reference_matches_brute_force():
    rng = np.random.default_rng(0)
    train, X = rng.normal(size=(30, 3)), rng.normal(size=(4, 3))
    h = 0.7
    brute = [logsumexp([multivariate_normal.logpdf(x, t, h**2 * np.eye(3)) for t in train]) - math.log(30) for x in X]
    assert np.allclose(ex.reference_kde_log_density(X, train, h), brute, rtol=1e-12, atol=1e-12)
    # one kernel at the point itself, in 1-D: the standard normal's log-density at 0
    assert ex.reference_kde_log_density([[0.0]], [[0.0]], 1.0)[0] == pytest.approx(-0.5 * math.log(2 * math.pi))


def test_kde_reference_stays_finite_for_a_tiny_bandwidth():
    values = ex.reference_kde_log_density(X_TEST[:5], X_TRAIN[:100], 0.01)
    assert np.all(np.isfinite(values)) and np.all(values < -1000)


def test_compare_kde_names_the_mistakes():
    e = np.array([-3.0, -5.0, -1.5])
    assert ex.compare_kde_log_density(e, e + 1e-12) is None
    assert "same +2.303 nats" in ex.compare_kde_log_density(e, e + math.log(10))
    assert "underflowed" in ex.compare_kde_log_density(e, np.array([-3.0, -np.inf, -1.5]))
    message = ex.compare_kde_log_density(e, np.array([-3.0, -5.5, -1.5]))
    assert message and "constant" not in message and "underflow" not in message


def test_memorisation_reference():
    train, test = np.array([[0.0], [10.0]]), np.array([[1.0], [12.0]])
    # distances to train 0.2, 0.4 (median 0.3); to test 0.8, 1.6 (median 1.2)
    assert ex.reference_memorisation_ratio(np.array([[0.2], [10.4]]), train, test) == pytest.approx(0.25)
    assert ex.reference_memorisation_ratio(X_TRAIN[:10], X_TRAIN[:50], X_TEST[:50]) == 0.0
    with pytest.raises(ValueError, match="same number of rows"):
        ex.reference_memorisation_ratio(train, train, test[:1])


def test_compare_memorisation_names_the_mistakes():
    assert ex.compare_memorisation_ratio(0.25, 0.25) is None
    assert "inverse" in ex.compare_memorisation_ratio(0.25, 4.0)
    assert "squared distances" in ex.compare_memorisation_ratio(0.25, 0.0625)
    message = ex.compare_memorisation_ratio(0.25, 0.3)
    assert message and "inverse" not in message and "square" not in message


def test_scaling_exponent_reference():
    assert ex.reference_scaling_exponent([1, 2, 4, 8], [3.0, 12.0, 48.0, 192.0]) == pytest.approx(2.0)
    rng = np.random.default_rng(1)
    s = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    t = 1e-3 * s**1.3 * np.exp(0.2 * rng.standard_normal(5))
    assert ex.reference_scaling_exponent(s, t) == pytest.approx(stats.linregress(np.log(s), np.log(t)).slope)


def test_compare_scaling_exponent_names_the_mistakes():
    assert ex.compare_scaling_exponent(2.0, 2.0 + 1e-12) is None
    assert "slope and the intercept" in ex.compare_scaling_exponent(2.0, np.array([2.0, 1.1]))
    assert "1/slope" in ex.compare_scaling_exponent(2.0, 0.5)
    message = ex.compare_scaling_exponent(2.0, 1.7)
    assert message and "1/slope" not in message


# --- the check cells, run on other solutions and on mistakes -----------------------------------------

def _check_cell(grade_id: str) -> str:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id]
    return "".join(cell["source"])


def _run_check(grade_id: str, name: str, fn, capsys, monkeypatch) -> str:
    monkeypatch.delenv("WORKBOOK_GRADING", raising=False)
    namespace = {"np": np, "cu": cu, "X_train": X_TRAIN, "X_test": X_TEST, name: fn}
    exec(compile(_check_cell(grade_id), f"<{grade_id}>", "exec"), namespace)
    return capsys.readouterr().out


# Exercise 1: the KDE's log-density


def kde_cdist(X, train, bandwidth):
    m, d = train.shape
    log_k = -cdist(X, train, "sqeuclidean") / (2 * bandwidth**2) - 0.5 * d * np.log(2 * np.pi * bandwidth**2)
    return logsumexp(log_k, axis=1) - np.log(m)


def kde_broadcast(X, train, bandwidth):
    sq = ((X[:, None, :] - train[None, :, :]) ** 2).sum(-1)  # (n, m)
    d = X.shape[1]
    return logsumexp(-sq / (2 * bandwidth**2), axis=1, b=1 / len(train)) - d / 2 * np.log(2 * np.pi) - d * np.log(bandwidth)


def kde_loop(X, train, bandwidth):
    out = []
    for x in X:
        logs = [multivariate_normal.logpdf(x, t, bandwidth**2 * np.eye(len(x))) for t in train]
        out.append(logsumexp(logs) - math.log(len(train)))
    return np.array(out)


def kde_naive_exp(X, train, bandwidth):
    m, d = train.shape
    with np.errstate(divide="ignore"):
        k = np.exp(-cdist(X, train, "sqeuclidean") / (2 * bandwidth**2)) / (2 * np.pi * bandwidth**2) ** (d / 2)
        return np.log(k.mean(axis=1))


def kde_sum_not_mean(X, train, bandwidth):
    return kde_cdist(X, train, bandwidth) + np.log(len(train))


def kde_one_dimensional_constant(X, train, bandwidth):
    return logsumexp(-cdist(X, train, "sqeuclidean") / (2 * bandwidth**2), axis=1) - np.log(len(train)) \
        - 0.5 * np.log(2 * np.pi * bandwidth**2)


def kde_bandwidth_as_variance(X, train, bandwidth):
    return kde_cdist(X, train, math.sqrt(bandwidth))


def kde_sklearn(X, train, bandwidth):
    from sklearn.neighbors import KernelDensity

    return KernelDensity(bandwidth=bandwidth).fit(train).score_samples(X)


@pytest.mark.parametrize("fn", [kde_cdist, kde_broadcast, kde_loop])
def test_kde_check_accepts_other_solutions(fn, capsys, monkeypatch):
    out = _run_check("ex1-kde-log-density-check", "my_kde_log_density", fn, capsys, monkeypatch)
    assert "\u2705" in out, out


@pytest.mark.parametrize("fn, expected", [(kde_naive_exp, "underflowed"), (kde_sum_not_mean, "same +"),
                                          (kde_one_dimensional_constant, "normalising constant"),
                                          (kde_bandwidth_as_variance, "Hint"), (kde_sklearn, "rules out")])
def test_kde_check_rejects_mistakes(fn, expected, capsys, monkeypatch):
    out = _run_check("ex1-kde-log-density-check", "my_kde_log_density", fn, capsys, monkeypatch)
    assert "\u274c" in out and expected in out, out


# Exercise 2: the memorisation ratio


def ratio_cdist(samples, train, test):
    return float(np.median(cdist(samples, train).min(1)) / np.median(cdist(samples, test).min(1)))


def ratio_kdtree(samples, train, test):
    return float(np.median(cKDTree(train).query(samples)[0]) / np.median(cKDTree(test).query(samples)[0]))


def ratio_sklearn_loop(samples, train, test):
    d_train = NearestNeighbors(n_neighbors=1).fit(train).kneighbors(samples)[0][:, 0]
    d_test = []
    for s in samples:
        d_test.append(min(math.dist(s, u) for u in test))
    return float(np.median(d_train) / np.median(d_test))


def ratio_inverted(samples, train, test):
    return 1.0 / ratio_cdist(samples, train, test)


def ratio_squared(samples, train, test):
    return float(np.median(cdist(samples, train, "sqeuclidean").min(1)) / np.median(cdist(samples, test, "sqeuclidean").min(1)))


def ratio_means(samples, train, test):
    return float(cdist(samples, train).min(1).mean() / cdist(samples, test).min(1).mean())


def ratio_middle_element(samples, train, test):
    a, b = np.sort(cdist(samples, train).min(1)), np.sort(cdist(samples, test).min(1))
    return float(a[len(a) // 2] / b[len(b) // 2])


def ratio_library(samples, train, test):
    return cu.metrics.nearest_neighbour_ratio(samples, train, test).ratio


@pytest.mark.parametrize("fn", [ratio_cdist, ratio_kdtree, ratio_sklearn_loop])
def test_memorisation_check_accepts_other_solutions(fn, capsys, monkeypatch):
    out = _run_check("ex2-memorisation-ratio-check", "my_memorisation_ratio", fn, capsys, monkeypatch)
    assert "\u2705" in out, out


@pytest.mark.parametrize("fn, expected", [(ratio_inverted, "inverse"), (ratio_squared, "squared distances"),
                                          (ratio_means, "median"), (ratio_middle_element, "Hint"),
                                          (ratio_library, "rules out")])
def test_memorisation_check_rejects_mistakes(fn, expected, capsys, monkeypatch):
    out = _run_check("ex2-memorisation-ratio-check", "my_memorisation_ratio", fn, capsys, monkeypatch)
    assert "\u274c" in out and expected in out, out


# Exercise 3: the scaling exponent


def slope_polyfit(sizes, seconds):
    return float(np.polyfit(np.log10(sizes), np.log10(seconds), 1)[0])


def slope_lstsq(sizes, seconds):
    A = np.column_stack([np.log2(sizes), np.ones(len(sizes))])
    return float(np.linalg.lstsq(A, np.log2(seconds), rcond=None)[0][0])


def slope_linregress(sizes, seconds):
    return stats.linregress(np.log(sizes), np.log(seconds)).slope


def slope_whole_polyfit(sizes, seconds):
    return np.polyfit(np.log(sizes), np.log(seconds), 1)


def slope_swapped(sizes, seconds):
    return float(np.polyfit(np.log(seconds), np.log(sizes), 1)[0])


def slope_semilog(sizes, seconds):
    return float(np.polyfit(np.asarray(sizes, float), np.log(seconds), 1)[0])


def slope_endpoints(sizes, seconds):
    return float(np.log(seconds[-1] / seconds[0]) / np.log(sizes[-1] / sizes[0]))


@pytest.mark.parametrize("fn", [slope_polyfit, slope_lstsq, slope_linregress])
def test_exponent_check_accepts_other_solutions(fn, capsys, monkeypatch):
    out = _run_check("ex3-scaling-exponent-check", "my_scaling_exponent", fn, capsys, monkeypatch)
    assert "\u2705" in out, out


@pytest.mark.parametrize("fn, expected", [(slope_whole_polyfit, "slope and the intercept"),
                                          (slope_swapped, "1/slope"), (slope_semilog, "Hint"),
                                          (slope_endpoints, "Hint")])
def test_exponent_check_rejects_mistakes(fn, expected, capsys, monkeypatch):
    out = _run_check("ex3-scaling-exponent-check", "my_scaling_exponent", fn, capsys, monkeypatch)
    assert "\u274c" in out and expected in out, out
