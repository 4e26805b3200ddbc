"""Tests for course_utils.mixtures: worked examples, scikit-learn comparison, invariants, bad input."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from course_utils import mixtures as mx

RTOL = 1e-8  # the tolerance for agreement with scikit-learn


def _blobs(n, D, K, seed, spread=4.0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=spread, size=(K, D))
    z = rng.integers(K, size=n)
    A = rng.normal(size=(K, D, D)) / np.sqrt(D) + np.eye(D)  # anisotropic clusters
    return centers[z] + np.einsum("nij,nj->ni", A[z], rng.normal(size=(n, D)))


def _start(X, K, seed):
    """Deliberately rough starting parameters: random data points, the data covariance, uneven weights."""
    rng = np.random.default_rng(seed)
    D = X.shape[1]
    w = rng.uniform(0.5, 1.5, K)
    cov = np.cov(X, rowvar=False).reshape(D, D)
    return mx.GMMParams(w / w.sum(), X[rng.choice(len(X), K, replace=False)], np.repeat(cov[None], K, axis=0))


def _two_component_1d():
    return mx.GMMParams([0.3, 0.7], [[-1.0], [2.0]], [[[0.5]], [[2.0]]])


# ----------------------------------------------------------------------------- worked examples
def test_log_likelihood_matches_scipy_density():
    params = mx.GMMParams([0.2, 0.8], [[0.0, 0.0], [1.0, -1.0]], [[[1.0, 0.3], [0.3, 2.0]], [[0.5, 0.0], [0.0, 0.5]]])
    X = np.array([[0.0, 0.0], [1.0, 1.0], [-3.0, 2.0]])
    expected = np.log(0.2 * multivariate_normal([0, 0], params.covariances[0]).pdf(X)
                      + 0.8 * multivariate_normal([1, -1], params.covariances[1]).pdf(X))
    np.testing.assert_allclose(mx.log_likelihood(X, params), expected, rtol=1e-12)


def test_e_step_by_hand_1d():
    # x = 0 under N(-1, 0.5) and N(2, 2): log N = -0.5 log(2 pi s2) - (x - m)^2 / (2 s2)
    params = _two_component_1d()
    l1 = np.log(0.3) - 0.5 * np.log(2 * np.pi * 0.5) - 1.0 / (2 * 0.5)
    l2 = np.log(0.7) - 0.5 * np.log(2 * np.pi * 2.0) - 4.0 / (2 * 2.0)
    log_resp, mean_ll = mx.e_step([[0.0]], params)
    np.testing.assert_allclose(log_resp[0], [l1 - np.logaddexp(l1, l2), l2 - np.logaddexp(l1, l2)], rtol=1e-12)
    assert mean_ll == pytest.approx(np.logaddexp(l1, l2), rel=1e-12)


def test_m_step_with_hard_assignments_gives_cluster_statistics():
    X = np.array([[0.0, 1.0], [2.0, 1.0], [0.0, 3.0], [10.0, 10.0], [12.0, 14.0], [14.0, 12.0]])
    resp = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=float)
    p = mx.m_step(X, resp, reg_covar=0.0)
    np.testing.assert_allclose(p.weights, [0.5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(p.means, [[2 / 3, 5 / 3], [12.0, 12.0]], rtol=1e-12)
    # by hand: deviations (-2/3, -2/3), (4/3, -2/3), (-2/3, 4/3) and (-2, -2), (0, 2), (2, 0)
    np.testing.assert_allclose(p.covariances[0], [[8 / 9, -4 / 9], [-4 / 9, 8 / 9]], rtol=1e-12)
    np.testing.assert_allclose(p.covariances[1], [[8 / 3, 4 / 3], [4 / 3, 8 / 3]], rtol=1e-12)
    p_reg = mx.m_step(X, resp, reg_covar=0.1)
    np.testing.assert_allclose(p_reg.covariances - p.covariances, 0.1 * np.eye(2)[None].repeat(2, 0), atol=1e-12)


def test_single_component_fit_is_sample_mean_and_covariance():
    X = _blobs(300, 3, 1, seed=1)
    fit = mx.fit_gmm(X, 1, tol=0, max_iter=2, reg_covar=0.0)
    np.testing.assert_allclose(fit.params.means[0], X.mean(0), rtol=1e-12)
    np.testing.assert_allclose(fit.params.covariances[0], np.cov(X.T, bias=True), rtol=1e-10)


# ------------------------------------------------------------------- comparison with scikit-learn
@pytest.mark.parametrize("n, D, K, seed", [(400, 2, 3, 0), (300, 5, 4, 1), (250, 1, 2, 2), (500, 3, 5, 3)])
def test_same_parameters_as_sklearn_after_every_iteration_count(n, D, K, seed):
    X = _blobs(n, D, K, seed)
    start = _start(X, K, seed)
    for n_iter in (1, 2, 5, 20):
        ours = mx.fit_gmm(X, K, init=start, max_iter=n_iter, tol=0)
        ref = GaussianMixture(K, covariance_type="full", tol=0, max_iter=n_iter, reg_covar=1e-6,
                              weights_init=start.weights, means_init=start.means,
                              precisions_init=np.linalg.inv(start.covariances), init_params="random_from_data")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref.fit(X)
        assert ours.n_iter == n_iter
        np.testing.assert_allclose(ours.params.weights, ref.weights_, rtol=RTOL)
        np.testing.assert_allclose(ours.params.means, ref.means_, rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(ours.params.covariances, ref.covariances_, rtol=RTOL, atol=1e-12)
        assert ours.log_likelihood_history[-1] == pytest.approx(ref.lower_bound_, rel=1e-10)
    # per-sample quantities under the last fitted parameters
    np.testing.assert_allclose(mx.log_likelihood(X, ours.params), ref.score_samples(X), rtol=1e-8)
    log_resp, mean_ll = mx.e_step(X, ours.params)
    np.testing.assert_allclose(np.exp(log_resp), ref.predict_proba(X), rtol=1e-6, atol=1e-10)
    assert mean_ll == pytest.approx(ref.score(X), rel=1e-8)
    assert mx.bic(X, ours.params) == pytest.approx(ref.bic(X), rel=1e-8)


# ------------------------------------------------------------------------------------ invariants
def test_log_likelihood_never_decreases_and_responsibilities_sum_to_one():
    X = _blobs(600, 2, 4, seed=5)
    fit = mx.fit_gmm(X, 4, init="random", max_iter=60, tol=0, rng=0)
    assert np.all(np.diff(fit.log_likelihood_history) >= -1e-12)
    log_resp, _ = mx.e_step(X, fit.params)
    np.testing.assert_allclose(np.exp(log_resp).sum(axis=1), 1.0, atol=1e-12)


def test_kmeans_init_recovers_separated_clusters_and_converges():
    rng = np.random.default_rng(0)
    truth = np.array([[-10.0, 0.0], [0.0, 10.0], [10.0, 0.0]])
    X = np.concatenate([c + rng.normal(size=(200, 2)) for c in truth])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fit = mx.fit_gmm(X, 3, rng=0)
    assert fit.converged and fit.n_iter < 100
    np.testing.assert_allclose(fit.params.means[np.argsort(fit.params.means[:, 0] + 0.1 * fit.params.means[:, 1])],
                               truth, atol=0.2)
    np.testing.assert_allclose(fit.params.weights, 1 / 3, atol=1e-3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_n_init_keeps_the_best_of_the_runs_from_the_same_seed():
    X = _blobs(300, 2, 5, seed=7)
    options = dict(init="random", max_iter=30, tol=1e-4)
    best = mx.fit_gmm(X, 5, n_init=3, rng=0, **options)
    single = mx.fit_gmm(X, 5, rng=0, **options)  # the first of the three starts
    assert best.log_likelihood_history[-1] >= single.log_likelihood_history[-1]
    # the three runs by hand: starts drawn in turn from one generator seeded alike
    g = np.random.default_rng(0)
    runs = [mx.fit_gmm(X, 5, rng=g, **options) for _ in range(3)]
    np.testing.assert_allclose(runs[0].log_likelihood_history, single.log_likelihood_history, rtol=1e-12)
    kept = max(runs, key=lambda f: f.log_likelihood_history[-1])
    np.testing.assert_allclose(best.log_likelihood_history, kept.log_likelihood_history, rtol=1e-12)
    np.testing.assert_allclose(best.params.means, kept.params.means, rtol=1e-12)
    assert np.ptp([f.log_likelihood_history[-1] for f in runs]) > 1e-6  # the restarts reached different fits


def test_history_is_the_mean_log_likelihood_per_data_point():
    X = _blobs(400, 2, 3, seed=0)
    start = _start(X, 3, seed=0)
    fit = mx.fit_gmm(X, 3, init=start, max_iter=3, tol=0)
    assert fit.log_likelihood_history[0] == pytest.approx(mx.log_likelihood(X, start).mean(), rel=1e-12)
    assert fit.log_likelihood_history[0] == pytest.approx(mx.e_step(X, start)[1], rel=1e-12)


def test_one_covariance_factorisation_per_iteration(monkeypatch):
    X = _blobs(300, 3, 4, seed=1)
    start = _start(X, 4, seed=1)
    calls = []
    original = np.linalg.cholesky
    monkeypatch.setattr(np.linalg, "cholesky", lambda a: calls.append(1) or original(a))
    fit = mx.fit_gmm(X, 4, init=start, max_iter=7, tol=0)
    assert fit.n_iter == 7
    assert len(calls) == 4 * (7 + 1)  # K factors for the start, then K per M-step; none in the E-steps


def test_non_convergence_is_a_warning():
    X = _blobs(200, 2, 3, seed=8)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        fit = mx.fit_gmm(X, 3, max_iter=2, tol=1e-12, rng=0)
    assert not fit.converged and fit.n_iter == 2


def test_sampling_matches_parameters():
    params = mx.GMMParams([0.25, 0.75], [[0.0, 5.0], [3.0, -1.0]], [[[1.0, 0.5], [0.5, 1.0]], [[0.2, 0.0], [0.0, 3.0]]])
    X, z = mx.sample_gmm(params, 40_000, rng=0)
    assert X.shape == (40_000, 2) and z.shape == (40_000,)
    assert np.mean(z == 0) == pytest.approx(0.25, abs=0.01)
    for k in range(2):
        np.testing.assert_allclose(X[z == k].mean(0), params.means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(X[z == k].T), params.covariances[k], atol=0.08)
    X2, z2 = mx.sample_gmm(params, 10, rng=np.random.default_rng(3))
    X3, z3 = mx.sample_gmm(params, 10, rng=3)
    np.testing.assert_array_equal(X2, X3)
    np.testing.assert_array_equal(z2, z3)


def test_bic_prefers_the_true_number_of_components():
    X = _blobs(600, 2, 3, seed=11, spread=6.0)
    bics = [mx.bic(X, mx.fit_gmm(X, k, tol=1e-6, max_iter=200, n_init=2, rng=0).params) for k in (1, 2, 3, 4, 5)]
    assert int(np.argmin(bics)) + 1 == 3


# ------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(weights=[0.5, 0.6]), ValueError, "weights must sum to 1"),
    (dict(weights=[1.5, -0.5]), ValueError, "weights must be non-negative"),
    (dict(weights=[1.0]), ValueError, r"weights must have shape \(2,\)"),
    (dict(means=[[0.0, np.nan], [1.0, 1.0]]), ValueError, "means must hold finite"),
    (dict(means=[0.0, 1.0]), ValueError, "means must be 2-D"),
    (dict(covariances=np.ones((2, 3, 3))), ValueError, r"covariances must have shape \(2, 2, 2\)"),
    (dict(covariances=[[[1.0, 0.5], [0.0, 1.0]], np.eye(2)]), ValueError, r"covariances\[0\] must be symmetric"),
    (dict(covariances=[np.eye(2), [[1.0, 1.0], [1.0, 1.0]]]), ValueError, r"covariances\[1\] is singular.*reg_covar"),
    (dict(covariances=[np.eye(2), -np.eye(2)]), ValueError, r"covariances\[1\] is singular or not positive definite"),
    (dict(weights="abc"), TypeError, "weights must be an array of numbers"),
])
def test_bad_params_are_refused(kwargs, error, match):
    good = dict(weights=[0.5, 0.5], means=[[0.0, 0.0], [1.0, 1.0]], covariances=[np.eye(2), np.eye(2)])
    with pytest.raises(error, match=match):
        mx.GMMParams(**{**good, **kwargs})


def test_bad_data_and_arguments_are_refused():
    X = _blobs(50, 2, 2, seed=0)
    params = mx.GMMParams([0.5, 0.5], X[:2], [np.eye(2), np.eye(2)])
    with pytest.raises(ValueError, match="X must hold finite numbers"):
        mx.fit_gmm(np.where(np.arange(100).reshape(50, 2) == 7, np.inf, X), 2)
    with pytest.raises(ValueError, match="X must hold finite numbers"):
        mx.log_likelihood(np.r_[X, [[np.nan, 0.0]]], params)
    with pytest.raises(ValueError, match="X must be 2-D"):
        mx.fit_gmm(X[:, 0], 2)
    with pytest.raises(ValueError, match="n_components must be <= n_samples"):
        mx.fit_gmm(X[:3], 4)
    with pytest.raises(TypeError, match="n_components must be an integer"):
        mx.fit_gmm(X, 2.0)
    with pytest.raises(ValueError, match="init must be 'kmeans', 'random' or a GMMParams"):
        mx.fit_gmm(X, 2, init="kmeans++")
    with pytest.raises(ValueError, match=r"init must have means of shape \(3, 2\)"):
        mx.fit_gmm(X, 3, init=params)
    with pytest.raises(ValueError, match="X must have 2 features"):
        mx.e_step(np.ones((5, 3)), params)
    with pytest.raises(ValueError, match="resp must have one row per sample"):
        mx.m_step(X, np.ones((49, 2)) / 2)
    with pytest.raises(ValueError, match="resp must be non-negative"):
        mx.m_step(X, np.c_[np.full(50, -0.5), np.full(50, 1.5)])
    with pytest.raises(ValueError, match="reg_covar must be a non-negative number"):
        mx.m_step(X, np.ones((50, 2)) / 2, reg_covar=-1.0)
    with pytest.raises(ValueError, match="tol must be a non-negative number"):
        mx.fit_gmm(X, 2, tol=-1.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        mx.fit_gmm(X, 2, rng="seed")
    with pytest.warns(UserWarning, match="n_init=2 is ignored: init is a fixed GMMParams"):
        mx.fit_gmm(X, 2, init=params, n_init=2, max_iter=2, tol=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        mx.sample_gmm(params, 0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(tol="1e-3"), TypeError, r"tol must be a non-negative number \(got str '1e-3'\)"),
    (dict(tol=np.nan), ValueError, r"tol must be a non-negative number \(got nan\)"),
    (dict(max_iter="100"), TypeError, "max_iter must be an integer >= 1"),
    (dict(max_iter=0), ValueError, "max_iter must be an integer >= 1"),
    (dict(n_init=1.0), TypeError, "n_init must be an integer >= 1"),
    (dict(n_init=0), ValueError, "n_init must be an integer >= 1"),
    (dict(reg_covar="1e-6"), TypeError, "reg_covar must be a non-negative number"),
    (dict(reg_covar=-1e-6), ValueError, "reg_covar must be a non-negative number"),
])
def test_bad_fit_options_name_the_parameter(kwargs, error, match):
    with pytest.raises(error, match=match):
        mx.fit_gmm(_blobs(50, 2, 2, seed=0), 2, **kwargs)
    if "reg_covar" in kwargs:
        with pytest.raises(error, match=match):
            mx.m_step(np.eye(2), np.eye(2), **kwargs)


def test_collapsed_component_names_the_remedy():
    # three identical points own component 0: its covariance is exactly zero without regularisation
    X = np.r_[np.zeros((3, 2)), np.random.default_rng(0).normal(size=(40, 2)) + 10]
    resp = np.c_[np.r_[np.ones(3), np.zeros(40)], np.r_[np.zeros(3), np.ones(40)]]
    with pytest.raises(ValueError, match="increase reg_covar.*scale the input data"):
        mx.m_step(X, resp, reg_covar=0.0)
    assert np.all(np.isfinite(mx.m_step(X, resp, reg_covar=1e-6).covariances))
