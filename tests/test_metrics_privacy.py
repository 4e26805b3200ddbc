"""Tests for course_utils.metrics.membership_inference_auc: the attack scores against brute force, the AUC
against scikit-learn, a memorising model against a fresh one, and the input checks."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KernelDensity

from course_utils.metrics import MembershipInference, membership_inference_auc


def _sklearn_auc(result):
    labels = np.r_[np.ones(len(result.member_scores)), np.zeros(len(result.non_member_scores))]
    return roc_auc_score(labels, np.r_[result.member_scores, result.non_member_scores])


def test_hand_example():
    # members at 0 and 10, non-members at 3 and 20; samples at 0.5 and 9: distances 0.5, 1 | 2.5, 11
    generated = np.array([[0.5], [9.0]])
    result = membership_inference_auc(generated, np.array([[0.0], [10.0]]), np.array([[3.0], [20.0]]))
    assert isinstance(result, MembershipInference)
    np.testing.assert_allclose(result.member_scores, [-0.5, -1.0], atol=1e-12)
    np.testing.assert_allclose(result.non_member_scores, [-2.5, -11.0], atol=1e-12)
    assert result.auc == pytest.approx(1.0, abs=1e-12) and result.epsilon is None
    # swap the roles: every member is now farther than every non-member
    swapped = membership_inference_auc(generated, np.array([[3.0], [20.0]]), np.array([[0.0], [10.0]]))
    assert swapped.auc == pytest.approx(0.0, abs=1e-12)


def test_distance_scores_match_brute_force_and_auc_matches_sklearn():
    rng = np.random.default_rng(1)
    generated, members, non_members = rng.normal(size=(80, 5)), rng.normal(size=(30, 5)), rng.normal(size=(45, 5))
    result = membership_inference_auc(generated, members, non_members)
    np.testing.assert_allclose(result.member_scores, -cdist(members, generated).min(axis=1), rtol=1e-12)
    np.testing.assert_allclose(result.non_member_scores, -cdist(non_members, generated).min(axis=1), rtol=1e-12)
    assert result.auc == pytest.approx(_sklearn_auc(result), abs=1e-12)


def test_monte_carlo_scores_match_brute_force_with_ties():
    rng = np.random.default_rng(2)
    generated = rng.integers(0, 4, size=(60, 2)).astype(float)  # a grid: many distances exactly equal
    members, non_members = rng.integers(0, 4, size=(25, 2)).astype(float), rng.uniform(0, 3, size=(20, 2))
    for eps in (0.5, 1.0, 1.5):  # 1.0 sits exactly on grid distances: the ball is closed
        result = membership_inference_auc(generated, members, non_members, method="monte_carlo", epsilon=eps)
        share = [(cdist(X, generated) <= eps).mean(axis=1) for X in (members, non_members)]
        np.testing.assert_allclose(result.member_scores, share[0], atol=1e-12)
        np.testing.assert_allclose(result.non_member_scores, share[1], atol=1e-12)
        assert result.epsilon == eps
        assert result.auc == pytest.approx(_sklearn_auc(result), abs=1e-12)  # ties count one half


def test_monte_carlo_default_epsilon_is_the_median_nearest_distance():
    rng = np.random.default_rng(3)
    generated, members, non_members = rng.normal(size=(100, 3)), rng.normal(size=(20, 3)), rng.normal(size=(21, 3))
    result = membership_inference_auc(generated, members, non_members, method="monte_carlo")
    nearest = cdist(np.vstack([members, non_members]), generated).min(axis=1)
    assert result.epsilon == pytest.approx(np.median(nearest), rel=1e-12)
    # every candidate whose nearest sample is within the median has a positive score
    scores = np.r_[result.member_scores, result.non_member_scores]
    assert ((scores > 0) == (nearest <= result.epsilon)).all()


def test_exact_copies_give_auc_one_with_both_attacks():
    rng = np.random.default_rng(4)
    members, non_members = rng.random((40, 8)), rng.random((40, 8))
    for method in ("distance", "monte_carlo"):
        assert membership_inference_auc(members.copy(), members, non_members, method=method).auc == 1.0


def test_a_memorising_kde_is_caught_and_an_independent_model_is_not():
    rng = np.random.default_rng(5)
    data = rng.normal(size=(400, 6))
    members, non_members = data[:200], data[200:]
    tiny = KernelDensity(bandwidth=0.01).fit(members).sample(2000, random_state=0)  # near copies of members
    assert membership_inference_auc(tiny, members, non_members).auc > 0.99
    assert membership_inference_auc(tiny, members, non_members, method="monte_carlo").auc > 0.95


def test_independent_draws_give_about_one_half():
    # The generator never saw the members: the AUC is a Mann-Whitney statistic of two samples of one law,
    # with standard deviation sqrt((n_m + n_n + 1) / (12 n_m n_n)) = 0.029 for 200 + 200 candidates.
    # Over 200 seeds the mean must sit within 4 standard errors (0.008) of 1/2 and no run beyond 5 sd.
    sd = np.sqrt((200 + 200 + 1) / (12 * 200 * 200))
    aucs = []
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        generated, candidates = rng.normal(size=(300, 4)), rng.normal(size=(400, 4))
        aucs.append(membership_inference_auc(generated, candidates[:200], candidates[200:]).auc)
    aucs = np.array(aucs)
    assert abs(aucs.mean() - 0.5) < 4 * sd / np.sqrt(len(aucs))
    assert np.abs(aucs - 0.5).max() < 5 * sd
    assert 0.6 * sd < aucs.std() < 1.4 * sd  # the spread the formula predicts


def test_takes_tensors():
    rng = np.random.default_rng(6)
    g, m, n = rng.random((30, 4)), rng.random((10, 4)), rng.random((12, 4))
    expected = membership_inference_auc(g, m, n)
    got = membership_inference_auc(torch.tensor(g), torch.tensor(m, dtype=torch.float32), torch.tensor(n))
    assert got.auc == pytest.approx(expected.auc, abs=1e-12)


def test_bad_input():
    X = np.zeros((5, 3))
    with pytest.raises(ValueError, match="generated and members must have the same number of columns"):
        membership_inference_auc(X, np.zeros((4, 2)), X)
    with pytest.raises(ValueError, match="generated and non_members must have the same number of columns"):
        membership_inference_auc(X, X, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="members must not be empty"):
        membership_inference_auc(X, np.zeros((0, 3)), X)
    with pytest.raises(ValueError, match="non_members must be 2-D"):
        membership_inference_auc(X, X, np.zeros(3))
    with pytest.raises(ValueError, match="generated must hold finite numbers"):
        membership_inference_auc(np.full((2, 3), np.nan), X, X)
    with pytest.raises(ValueError, match="method must be one of 'distance', 'monte_carlo'"):
        membership_inference_auc(X, X, X, method="likelihood")
    with pytest.raises(ValueError, match="epsilon is used by method='monte_carlo' only"):
        membership_inference_auc(X, X, X, epsilon=0.1)
    with pytest.raises(ValueError, match="epsilon must be a finite number > 0"):
        membership_inference_auc(X, X, X, method="monte_carlo", epsilon=0.0)
