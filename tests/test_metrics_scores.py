"""Tests for the sample-based scores of course_utils.metrics, against closed forms and SciPy."""

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch

from course_utils import metrics


def _random_spd(rng, d, condition=None):
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eig = rng.uniform(0.5, 2.0, d) if condition is None else np.geomspace(1.0, 1.0 / condition, d)
    return (Q * eig) @ Q.T


def _sqrtm_reference(mu1, s1, mu2, s2):
    """The textbook formula with SciPy's general matrix square root, in float64."""
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_frechet_closed_forms():
    mu = np.array([1.0, -2.0, 0.5])
    S = _random_spd(np.random.default_rng(0), 3)
    assert metrics.frechet_distance(mu, S, np.zeros(3), S) == pytest.approx(mu @ mu, rel=1e-10)
    assert metrics.frechet_distance(np.zeros(3), np.eye(3), np.ones(3), 4 * np.eye(3)) == pytest.approx(6.0, rel=1e-12)
    assert metrics.frechet_distance(mu, S, mu, S) == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("condition", [None, 1e3, 1e6])
def test_frechet_against_scipy_sqrtm_and_symmetric(condition):
    rng = np.random.default_rng(1)
    for _ in range(5):
        d = int(rng.integers(2, 20))
        mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
        s1, s2 = _random_spd(rng, d, condition), _random_spd(rng, d)
        ours = metrics.frechet_distance(mu1, s1, mu2, s2)
        assert ours == pytest.approx(_sqrtm_reference(mu1, s1, mu2, s2), rel=1e-8)
        assert ours == pytest.approx(metrics.frechet_distance(mu2, s2, mu1, s1), rel=1e-8)


def test_fid_is_biased_upward_at_finite_n_and_the_curve_removes_it():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((500, 64)), rng.standard_normal((500, 64))
    value = metrics.fid(a, b)
    assert 3.0 < value < 6.0  # the finite-sample floor: about 4 for n = 500, d = 64, not 0
    curve = metrics.fid_curve(a, b, [100, 200, 300, 400, 500], seed=0)
    assert curve.values[0] > curve.values[-1]  # the bias shrinks with n
    assert abs(curve.fid_infinity) < 0.5
    shifted = b + 0.5  # true Fréchet distance 64 * 0.25 = 16
    assert metrics.fid_curve(a, shifted, [100, 200, 300, 400, 500], seed=0).fid_infinity == pytest.approx(16, abs=1.0)


def test_fid_takes_tensors():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((50, 4)), rng.standard_normal((60, 4))
    assert metrics.fid(torch.tensor(a, dtype=torch.float32), b) == pytest.approx(metrics.fid(a, b), rel=1e-5)


def test_kl_divergence_against_scipy():
    rng = np.random.default_rng(4)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    assert metrics.kl_divergence(p, q) == pytest.approx(scipy.stats.entropy(p, q), rel=1e-12)
    assert metrics.kl_divergence(p, p) == 0.0
    assert metrics.kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(np.log(2), rel=1e-12)
    assert metrics.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf


def test_inception_score_bounds():
    C = 10
    same = np.tile(np.eye(C)[3], (1000, 1))
    assert metrics.inception_score(same)[0] == pytest.approx(1.0, abs=1e-12)
    perfect = np.tile(np.eye(C), (100, 1))  # every split of 100 rows holds each class 10 times
    mean, std = metrics.inception_score(perfect, n_splits=10)
    assert mean == pytest.approx(C, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)
    uniform = np.full((200, C), 1.0 / C)
    assert metrics.inception_score(uniform)[0] == pytest.approx(1.0, abs=1e-12)


def test_kid_is_unbiased_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(5)
    draws = [metrics.kid(rng.standard_normal((200, 8)), rng.standard_normal((200, 8)), seed=i)[0] for i in range(200)]
    se_of_mean = np.std(draws, ddof=1) / np.sqrt(len(draws))
    assert abs(np.mean(draws)) < 3 * se_of_mean
    estimate, se = metrics.kid(rng.standard_normal((400, 8)), rng.standard_normal((400, 8)) + 0.5, seed=0)
    assert estimate > 5 * se > 0


def test_precision_recall_separates_fidelity_from_diversity():
    rng = np.random.default_rng(6)
    real = rng.standard_normal((1000, 2))
    tight = 0.05 * rng.standard_normal((1000, 2))  # all in the middle of the real cloud
    precision, recall = metrics.precision_recall(real, tight, k=3)
    assert precision > 0.8 and recall < 0.3
    p_same, r_same = metrics.precision_recall(real, rng.standard_normal((1000, 2)), k=3)
    assert p_same > 0.9 and r_same > 0.9


@pytest.mark.parametrize("k", [3, 5])
def test_density_and_coverage_of_one_distribution(k):
    rng = np.random.default_rng(7)
    density, coverage = metrics.density_coverage(rng.standard_normal((2000, 3)), rng.standard_normal((2000, 3)), k=k)
    assert density == pytest.approx(1.0, abs=0.06)
    assert coverage == pytest.approx(1 - 2.0 ** -k, abs=0.03)


def test_energy_distance_against_scipy_in_one_dimension():
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal(300), rng.standard_normal(200) + 0.5
    assert np.sqrt(metrics.energy_distance(x[:, None], y[:, None])) == pytest.approx(
        scipy.stats.energy_distance(x, y), rel=1e-10)
    X = rng.standard_normal((100, 2))
    assert metrics.energy_distance(X, X) == pytest.approx(0.0, abs=1e-12)


def test_nearest_neighbour_ratio_catches_copies():
    rng = np.random.default_rng(9)
    train, test = rng.standard_normal((500, 4)), rng.standard_normal((300, 4))
    copies = train[rng.choice(500, 200)] + 1e-3 * rng.standard_normal((200, 4))
    assert metrics.nearest_neighbour_ratio(copies, train, test).ratio < 0.05
    fresh = metrics.nearest_neighbour_ratio(rng.standard_normal((200, 4)), train, test)
    assert 0.8 < fresh.ratio < 1.25
    assert fresh.train_distances.shape == (200,)


@pytest.mark.parametrize("call, message", [
    (lambda: metrics.fid(np.zeros((10, 3)), np.zeros((10, 4))), "same number of columns"),
    (lambda: metrics.fid(np.full((10, 3), np.nan), np.zeros((10, 3))), "finite"),
    (lambda: metrics.precision_recall(np.zeros((3, 2)), np.zeros((10, 2)), k=3), "at least 4 rows"),
    (lambda: metrics.density_coverage(np.zeros((10, 2)), np.zeros((10, 3))), "same number of columns"),
    (lambda: metrics.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), "same length"),
    (lambda: metrics.kl_divergence([0.5, 0.6], [0.5, 0.5]), "sum to 1"),
    (lambda: metrics.inception_score(np.ones((10, 3))), "probability vector"),
    (lambda: metrics.frechet_distance(np.zeros(2), np.array([[1.0, 2.0], [0.0, 1.0]]), np.zeros(2), np.eye(2)), "symmetric"),
    (lambda: metrics.frechet_distance(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2)), "semi-definite"),
    (lambda: metrics.fid_curve(np.zeros((50, 2)), np.zeros((50, 2)), [10, 100]), "must not exceed"),
    (lambda: metrics.kid(np.zeros((10, 2)), np.zeros((10, 2)), n_subsets=10), "at least 2 rows per subset"),
])
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_digits_classifier_ships_accurate_weights():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    _, X_test, _, y_test = train_test_split(digits.data / 16.0, digits.target, test_size=0.2, random_state=0)
    model = metrics.DigitsClassifier.load()
    assert (model.predict(X_test) == y_test).mean() >= 0.97
    probs = model.predict_proba(torch.tensor(X_test[:5], dtype=torch.float64))
    assert probs.shape == (5, 10) and np.allclose(probs.sum(1), 1.0)
    feats = model.features(X_test[:7])
    assert feats.shape == (7, 64) and feats.dtype == np.float64
    with pytest.raises(ValueError, match="divide grey levels"):
        model.features(digits.data[:3])
    with pytest.raises(ValueError, match="64 columns"):
        model.features(np.zeros((3, 8, 8)).reshape(3, 8, 8)[:, 0])
    assert sum(p.numel() for p in model.parameters()) < 100_000
