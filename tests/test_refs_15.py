"""Notebook 15's exercise checks: they accept other correct solutions and reject the common mistakes."""

import numpy as np
import pytest
import torch
from _quiet import run_check as _run
from scipy.spatial.distance import cdist
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from course_utils import exercises as ex
from course_utils.metrics import membership_inference_auc

torch.set_num_threads(1)


# --- exercise 1: the class share and its interval ----------------------------------------------------

SHARE_CASES = ex.class_share_cases()


def _check_share(fn):
    return _run(lambda f: ex.check(f, ex.reference_class_share, cases=SHARE_CASES,
                                   compare_fn=ex.compare_class_share, name="my_class_share", hint="h"), fn)


def share_numpy(probs, digit):
    labels = np.argmax(probs, axis=1)
    p = np.mean(labels == digit)
    se = np.sqrt(p * (1 - p) / len(labels))
    return p, max(0.0, p - 1.96 * se), min(1.0, p + 1.96 * se)


def share_loop(probs, digit):
    k = 0
    for row in probs:
        best = max(range(len(row)), key=lambda c: row[c])
        k += best == digit
    n = len(probs)
    p = k / n
    half = 1.96 * (p * (1 - p) / n) ** 0.5
    return [p, max(p - half, 0), min(p + half, 1)]  # a list, plain Python numbers


def share_torch(probs, digit):
    t = torch.as_tensor(probs)
    p = (t.argmax(dim=1) == digit).double().mean()
    half = 1.96 * torch.sqrt(p * (1 - p) / len(t))
    return p, torch.clamp(p - half, min=0), torch.clamp(p + half, max=1)  # 0-d tensors


def share_array(probs, digit):  # one array of three numbers
    return np.array(share_numpy(probs, digit))


def share_soft(probs, digit):  # mistake: the mean probability instead of the labels
    p = np.mean(probs[:, digit])
    se = np.sqrt(p * (1 - p) / len(probs))
    return p, max(0.0, p - 1.96 * se), min(1.0, p + 1.96 * se)


def share_other_class(probs, digit):  # mistake: counts the samples *not* labelled digit
    p = np.mean(np.argmax(probs, axis=1) != digit)
    se = np.sqrt(p * (1 - p) / len(probs))
    return p, max(0.0, p - 1.96 * se), min(1.0, p + 1.96 * se)


def share_n_minus_1(probs, digit):  # mistake: n - 1 in the standard error
    p, n = np.mean(np.argmax(probs, axis=1) == digit), len(probs)
    se = np.sqrt(p * (1 - p) / (n - 1))
    return p, max(0.0, p - 1.96 * se), min(1.0, p + 1.96 * se)


def share_unclipped(probs, digit):  # mistake: the interval may leave [0, 1]
    p, n = np.mean(np.argmax(probs, axis=1) == digit), len(probs)
    se = np.sqrt(p * (1 - p) / n)
    return p, p - 1.96 * se, p + 1.96 * se


def share_90(probs, digit):  # mistake: a 90% interval
    p, n = np.mean(np.argmax(probs, axis=1) == digit), len(probs)
    se = np.sqrt(p * (1 - p) / n)
    return p, max(0.0, p - 1.645 * se), min(1.0, p + 1.645 * se)


def share_no_sqrt(probs, digit):  # mistake: the variance instead of the standard error
    p, n = np.mean(np.argmax(probs, axis=1) == digit), len(probs)
    return p, max(0.0, p - 1.96 * p * (1 - p) / n), min(1.0, p + 1.96 * p * (1 - p) / n)


def share_exact_quantile(probs, digit):  # mistake against the contract: norm.ppf(0.975) instead of 1.96
    from scipy.stats import norm

    p, n = np.mean(np.argmax(probs, axis=1) == digit), len(probs)
    se = np.sqrt(p * (1 - p) / n)
    return p, max(0.0, p - norm.ppf(0.975) * se), min(1.0, p + norm.ppf(0.975) * se)


def test_share_check_accepts_numpy_loops_torch_and_arrays():
    for fn in (share_numpy, share_loop, share_torch, share_array):
        ok, out = _check_share(fn)
        assert ok, (fn.__name__, out)


@pytest.mark.parametrize("fn, message", [(share_soft, "not the average probability"), (share_other_class, "not the others"),
                                         (share_n_minus_1, "n - 1"), (share_unclipped, "clip"),
                                         (share_90, "90%"), (share_no_sqrt, "interval should be"),
                                         (share_exact_quantile, "contract's 1.96")])
def test_share_check_rejects_the_common_mistakes_with_a_reason(fn, message):
    ok, out = _check_share(fn)
    assert not ok, fn.__name__
    assert message in out, (fn.__name__, out)


def test_reference_share_on_a_hand_example():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    share, low, high = ex.reference_class_share(probs, 1)
    assert share == 0.25 and low == 0.0
    assert high == pytest.approx(0.25 + 1.96 * np.sqrt(0.25 * 0.75 / 4), abs=1e-12)
    assert ex.reference_class_share(probs, 0)[0] == 0.75


# --- exercise 2: the membership score ---------------------------------------------------------------------

SCORE_CASES = ex.membership_score_cases()


def _check_scores(fn):
    wrapped = ex.forbid_calls(fn, ["membership_inference_auc", "_distances"], rule="compute the distances")
    return _run(lambda f: ex.check(f, ex.reference_membership_scores, cases=SCORE_CASES,
                                   compare_fn=ex.compare_membership_scores, name="my_membership_scores",
                                   hint="h"), wrapped)


def scores_cdist(generated, candidates):
    return -cdist(candidates, generated).min(axis=1)


def scores_broadcast(generated, candidates):
    diff = candidates[:, None, :] - generated[None, :, :]  # (m, n, d)
    return -np.sqrt((diff**2).sum(-1)).min(1)


def scores_torch(generated, candidates):
    return -torch.cdist(torch.as_tensor(candidates), torch.as_tensor(generated)).min(dim=1).values


def scores_loop(generated, candidates):
    return np.array([-min(np.linalg.norm(c - g) for g in generated) for c in candidates])


def scores_positive(generated, candidates):  # mistake: the distance itself
    return cdist(candidates, generated).min(axis=1)


def scores_squared(generated, candidates):  # mistake: squared distances
    return -(cdist(candidates, generated) ** 2).min(axis=1)


def scores_mean(generated, candidates):  # mistake: the mean distance, not the nearest
    return -cdist(candidates, generated).mean(axis=1)


def scores_library(generated, candidates):  # refused
    return membership_inference_auc(generated, candidates, candidates).member_scores


def test_scores_check_accepts_cdist_broadcasting_torch_and_loops():
    for fn in (scores_cdist, scores_broadcast, scores_torch, scores_loop):
        ok, out = _check_scores(fn)
        assert ok, (fn.__name__, out)


def test_scores_check_rejects_sign_squares_and_means():
    ok, out = _check_scores(scores_positive)
    assert not ok and "wrong sign" in out
    ok, out = _check_scores(scores_squared)
    assert not ok and "squared" in out
    ok, out = _check_scores(scores_mean)
    assert not ok and "differs" in out
    ok, out = _check_scores(scores_library)
    assert not ok and "membership_inference_auc" in out


def test_reference_scores_match_the_metric():
    rng = np.random.default_rng(0)
    gen, members, others = rng.normal(size=(40, 4)), rng.normal(size=(10, 4)), rng.normal(size=(8, 4))
    mi = membership_inference_auc(gen, members, others)
    np.testing.assert_allclose(ex.reference_membership_scores(gen, members), mi.member_scores, rtol=1e-12)


# --- exercise 3: the AUC by ranks ---------------------------------------------------------------------------

AUC_CASES = ex.auc_cases()


def _check_auc(fn):
    wrapped = ex.forbid_calls(fn, ["roc_auc_score", "roc_auc", "membership_inference_auc", "mannwhitneyu"],
                              rule="count the pairs or use ranks")
    return _run(lambda f: ex.check(f, ex.reference_auc, cases=AUC_CASES, compare_fn=ex.compare_auc,
                                   name="my_auc", hint="h"), wrapped)


def auc_pairs(member_scores, non_member_scores):
    m, n = np.asarray(member_scores)[:, None], np.asarray(non_member_scores)[None, :]
    return float(np.mean((m > n) + 0.5 * (m == n)))


def auc_ranks(member_scores, non_member_scores):
    ranks = rankdata(np.concatenate([member_scores, non_member_scores]))
    nm, nn = len(member_scores), len(non_member_scores)
    return (ranks[:nm].sum() - nm * (nm + 1) / 2) / (nm * nn)


def auc_loop(member_scores, non_member_scores):
    total = 0.0
    for a in member_scores:
        for b in non_member_scores:
            total += 1.0 if a > b else 0.5 if a == b else 0.0
    return total / (len(member_scores) * len(non_member_scores))


def auc_torch(member_scores, non_member_scores):
    m, n = torch.as_tensor(member_scores)[:, None], torch.as_tensor(non_member_scores)[None, :]
    return ((m > n).double() + 0.5 * (m == n).double()).mean()


def auc_swapped(member_scores, non_member_scores):  # mistake: counts the non-member wins
    return 1 - auc_pairs(member_scores, non_member_scores)


def auc_ties_ignored(member_scores, non_member_scores):  # mistake: a tie counts 0
    m, n = np.asarray(member_scores)[:, None], np.asarray(non_member_scores)[None, :]
    return float(np.mean(m > n))


def auc_ordinal_ranks(member_scores, non_member_scores):  # mistake: ranks without averaging ties
    both = np.concatenate([member_scores, non_member_scores])
    ranks = np.argsort(np.argsort(both, kind="stable")) + 1
    nm, nn = len(member_scores), len(non_member_scores)
    return (ranks[:nm].sum() - nm * (nm + 1) / 2) / (nm * nn)


def auc_sklearn(member_scores, non_member_scores):  # refused
    labels = np.r_[np.ones(len(member_scores)), np.zeros(len(non_member_scores))]
    return roc_auc_score(labels, np.r_[member_scores, non_member_scores])


def test_auc_check_accepts_pairs_ranks_loops_and_torch():
    for fn in (auc_pairs, auc_ranks, auc_loop, auc_torch):
        ok, out = _check_auc(fn)
        assert ok, (fn.__name__, out)


def test_auc_check_rejects_swaps_and_ties():
    ok, out = _check_auc(auc_swapped)
    assert not ok and "1 - AUC" in out
    for fn in (auc_ties_ignored, auc_ordinal_ranks):
        ok, out = _check_auc(fn)
        assert not ok, fn.__name__
        if fn is auc_ties_ignored:
            assert "counts one half" in out, out

    def auc_ties_as_wins(member_scores, non_member_scores):  # mistake: a tie counts as a whole win
        m, n = np.asarray(member_scores)[:, None], np.asarray(non_member_scores)[None, :]
        return float((m >= n).mean())

    ok, out = _check_auc(auc_ties_as_wins)
    assert not ok and "not a whole win" in out, out
    ok, out = _check_auc(auc_sklearn)
    assert not ok and "roc_auc_score" in out


def test_reference_auc_matches_sklearn():
    for case in AUC_CASES:
        m, n = case.args
        labels = np.r_[np.ones(len(m)), np.zeros(len(n))]
        assert ex.reference_auc(m, n) == pytest.approx(roc_auc_score(labels, np.r_[m, n]), abs=1e-12)
    assert set(ex.__all__) >= {"reference_class_share", "reference_membership_scores", "reference_auc"}
