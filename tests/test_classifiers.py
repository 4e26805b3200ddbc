"""course_utils.classifiers: Gaussian naive Bayes against scikit-learn, a direct computation and by hand."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.naive_bayes import GaussianNB

from course_utils import classifiers as nc

LOADERS = {"iris": load_iris, "wine": load_wine, "breast cancer": load_breast_cancer, "digits": load_digits}


def split(X, y, seed=0, frac=0.5):
    idx = np.random.default_rng(seed).permutation(len(X))
    cut = int(frac * len(X))
    return X[idx[:cut]], y[idx[:cut]], X[idx[cut:]], y[idx[cut:]]


# ------------------------------------------------------------------ (a) worked example


def test_worked_example_by_hand():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    p = nc.fit_gaussian_nb(X, [0, 0, 1, 1], var_smoothing=0)
    np.testing.assert_allclose(p.priors, [0.5, 0.5])
    np.testing.assert_allclose(p.means, [[1.0], [12.0]])
    np.testing.assert_allclose(p.variances, [[1.0], [4.0]])  # divides by n_c, not n_c - 1
    # at x = 4: log N(4; 1, 1) = -log(2 pi)/2 - 4.5; log N(4; 12, 4) = -log(8 pi)/2 - 8
    expected = np.log(0.5) + np.array([-0.5 * np.log(2 * np.pi) - 4.5, -0.5 * np.log(8 * np.pi) - 8.0])
    np.testing.assert_allclose(nc.log_joint(p, [[4.0]])[0], expected, rtol=1e-12)
    shared = nc.fit_gaussian_nb(X, [0, 0, 1, 1], var_smoothing=0, shared_variance=True)
    np.testing.assert_allclose(shared.variances, [[2.5], [2.5]])  # (1 + 1 + 4 + 4) / 4
    assert shared.shared_variance and not p.shared_variance


# ------------------------------------------------------------------ (b) reference comparisons


@pytest.mark.parametrize("name", list(LOADERS))
@pytest.mark.parametrize("var_smoothing", [1e-9, 1e-3, 0.1])
def test_per_class_variances_equal_sklearn_gaussian_nb(name, var_smoothing):
    X, y = LOADERS[name](return_X_y=True)
    Xtr, ytr, Xte, _ = split(X, y, seed=1)
    ours = nc.fit_gaussian_nb(Xtr, ytr, var_smoothing=var_smoothing)
    sk = GaussianNB(var_smoothing=var_smoothing).fit(Xtr, ytr)
    np.testing.assert_allclose(ours.priors, sk.class_prior_, rtol=1e-12)
    np.testing.assert_allclose(ours.means, sk.theta_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.variances, sk.var_, rtol=1e-12, atol=1e-15)  # same var_smoothing rule
    np.testing.assert_allclose(nc.predict_log_proba(ours, Xte), sk.predict_log_proba(Xte), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(nc.predict(ours, Xte), sk.predict(Xte))
    np.testing.assert_array_equal(ours.classes, sk.classes_)


def test_shared_variance_against_a_direct_computation():
    X, y = load_wine(return_X_y=True)
    Xtr, ytr, Xte, _ = split(X, y, seed=2)
    p = nc.fit_gaussian_nb(Xtr, ytr, shared_variance=True, var_smoothing=1e-6)
    classes = np.unique(ytr)
    means = np.array([Xtr[ytr == c].mean(0) for c in classes])
    resid = np.concatenate([Xtr[ytr == c] - means[i] for i, c in enumerate(classes)])  # (n, D)
    var = (resid**2).sum(0) / len(Xtr) + 1e-6 * Xtr.var(0).max()  # pooled, divides by n
    priors = np.array([np.mean(ytr == c) for c in classes])
    joint = np.column_stack([np.log(priors[i]) + stats.multivariate_normal.logpdf(Xte, means[i], np.diag(var))
                             for i in range(len(classes))])  # (n, C), a diagonal Gaussian per class
    np.testing.assert_allclose(p.variances, np.tile(var, (len(classes), 1)), rtol=1e-12)
    np.testing.assert_allclose(nc.predict_log_proba(p, Xte), joint - logsumexp(joint, 1, keepdims=True),
                               rtol=1e-9, atol=1e-9)


def test_shared_variance_gives_linear_log_odds():
    X, y = load_iris(return_X_y=True)
    p = nc.fit_gaussian_nb(X, y, shared_variance=True)
    a, b = X[0], X[120]
    t = np.linspace(-2, 3, 11)[:, None]
    lp = nc.predict_log_proba(p, a + t * (b - a))  # (11, 3) along a line
    log_odds = lp[:, 1] - lp[:, 0]
    np.testing.assert_allclose(np.diff(log_odds, 2), 0, atol=1e-9)  # second differences vanish
    per_class = nc.predict_log_proba(nc.fit_gaussian_nb(X, y), a + t * (b - a))
    assert np.abs(np.diff(per_class[:, 1] - per_class[:, 0], 2)).max() > 1  # quadratic with per-class variances


# ------------------------------------------------------------------ missing features


def test_missing_feature_is_marginalised():
    X, y = load_iris(return_X_y=True)
    Xtr, ytr, Xte, _ = split(X, y, seed=3)
    full = nc.fit_gaussian_nb(Xtr, ytr, var_smoothing=0)
    Xm = Xte.copy()
    Xm[:, [2, 3]] = np.nan
    reduced = nc.fit_gaussian_nb(Xtr[:, :2], ytr, var_smoothing=0)  # the model without those features
    np.testing.assert_allclose(nc.predict_log_proba(full, Xm), nc.predict_log_proba(reduced, Xte[:, :2]),
                               rtol=1e-12, atol=1e-12)
    # mixed patterns: each row is marginalised over its own missing features
    Xmix = Xte[:3].copy()
    Xmix[0, 0], Xmix[2, :] = np.nan, np.nan
    lp = nc.predict_log_proba(full, Xmix)
    np.testing.assert_allclose(lp[1], nc.predict_log_proba(full, Xte[1:2])[0])
    np.testing.assert_allclose(np.exp(lp[2]), full.priors)  # nothing observed: the priors
    np.testing.assert_allclose(np.exp(lp).sum(1), 1.0)


def test_predict_log_proba_stays_finite_far_from_the_data():
    p = nc.fit_gaussian_nb([[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1])
    lp = nc.predict_log_proba(p, [[1e4], [-1e4]])
    assert np.all(np.isfinite(lp)) and np.allclose(np.exp(lp).sum(1), 1.0)


# ------------------------------------------------------------------ sampling


def test_sample_class_moments_and_independence():
    X, y = load_iris(return_X_y=True)
    p = nc.fit_gaussian_nb(X, y)
    draws = nc.sample_class(p, 1, 20000, rng=0)  # (20000, 4)
    assert draws.shape == (20000, 4)
    np.testing.assert_allclose(draws.mean(0), p.means[1], atol=4 * np.sqrt(p.variances[1].max() / 20000))
    np.testing.assert_allclose(draws.var(0), p.variances[1], rtol=0.05)
    assert np.abs(np.corrcoef(draws.T)[np.triu_indices(4, 1)]).max() < 0.05  # naive: independent features
    np.testing.assert_array_equal(draws, nc.sample_class(p, 1, 20000, rng=np.random.default_rng(0)))


def test_sample_class_with_string_labels():
    p = nc.fit_gaussian_nb([[0.0], [1.0], [10.0], [11.0]], ["a", "a", "b", "b"])
    assert nc.sample_class(p, "b", 500, rng=1).mean() > 5
    assert nc.predict(p, [[0.2], [10.4]]).tolist() == ["a", "b"]


def test_stratified_subsample():
    y = np.repeat([0, 1, 2], [50, 30, 5])
    for seed in range(20):
        train, test = nc.stratified_subsample(y, 4, rng=seed)
        assert len(train) == 4 and len(test) == len(y) - 4
        assert set(y[train]) == {0, 1, 2}
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
    a, _ = nc.stratified_subsample(y, 10, rng=5)
    b, _ = nc.stratified_subsample(y, 10, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ (d) bad input


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(X=[1.0, 2.0], y=[0, 1]), ValueError, "X must be 2-D"),
    (dict(X=[[1.0], [np.nan]], y=[0, 1]), ValueError, "X must hold finite numbers"),
    (dict(X=[[1.0], [2.0]], y=[0, 1, 1]), ValueError, "y must be 1-D with one label per row"),
    (dict(X=[[1.0], [2.0]], y=[0, 0]), ValueError, "at least two classes"),
    (dict(X=[[1.0], [2.0]], y=[0, 1], var_smoothing=-1.0), ValueError, "var_smoothing must be"),
    (dict(X=[[1.0], [2.0]], y=[0, 1], var_smoothing=0.0), ValueError, "use var_smoothing > 0"),
    (dict(X=[[1.0], [2.0]], y=[0, 1], shared_variance="yes"), TypeError, "shared_variance must be True or False"),
])
def test_fit_rejects_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        nc.fit_gaussian_nb(kwargs.pop("X"), kwargs.pop("y"), **kwargs)


def test_predict_and_sample_reject_bad_input():
    p = nc.fit_gaussian_nb([[0.0, 0.0], [1.0, 1.0], [4.0, 4.0], [5.0, 6.0]], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="X must have 2 columns"):
        nc.predict_log_proba(p, [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="mark a missing feature with NaN"):
        nc.predict_log_proba(p, [[np.inf, 0.0]])
    with pytest.raises(TypeError, match="params must be a GaussianNBParams"):
        nc.predict_log_proba((p.priors, p.means, p.variances), [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"label must be one of the classes \[0, 1\]"):
        nc.sample_class(p, 2, 5, rng=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        nc.sample_class(p, 0, 0, rng=0)
    with pytest.raises(TypeError, match="rng must be"):
        nc.sample_class(p, 0, 5, rng="seed")
    with pytest.raises(ValueError, match="m must be at least the number of classes"):
        nc.stratified_subsample([0, 0, 1, 1], 1, rng=0)


def test_params_validate_themselves():
    with pytest.raises(ValueError, match="priors must sum to 1"):
        nc.GaussianNBParams([0.5, 0.6], [[0.0], [1.0]], [[1.0], [1.0]])
    with pytest.raises(ValueError, match=r"variances must have shape \(2, 1\)"):
        nc.GaussianNBParams([0.5, 0.5], [[0.0], [1.0]], [[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="variances must be > 0"):
        nc.GaussianNBParams([0.5, 0.5], [[0.0], [1.0]], [[1.0], [0.0]])
