"""Exercise references of notebook 15 (ethics), used as ``cu.exercises.<name>``.

Three exercises: the audit of a generator's class balance (:func:`reference_class_share`), the score of
a membership-inference attack (:func:`reference_membership_scores`) and its ROC AUC by ranks
(:func:`reference_auc`). Each has a ``compare_*`` function that names the common mistakes, and a
``*_cases`` function that builds the check's inputs. Nothing here imports torch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["reference_class_share", "compare_class_share", "class_share_cases",
           "reference_membership_scores", "compare_membership_scores", "membership_score_cases",
           "reference_auc", "compare_auc", "auc_cases"]

#: The normal quantile of a two-sided 95% interval.
Z_95 = 1.96


def _floats(got, n: int) -> np.ndarray | None:
    """``got`` as a float array of ``n`` entries (tuple, list, array or tensors), or None."""
    from ._checker import _to_numpy

    try:
        if isinstance(got, (tuple, list)):
            got = [_to_numpy(g) for g in got]
        arr = np.asarray(_to_numpy(got), dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == (n,) else None


# --- exercise 1: a generator's class balance --------------------------------------------------------

def reference_class_share(probs, digit) -> tuple[float, float, float]:
    r"""The share of samples a classifier labels ``digit``, with a 95% normal-approximation interval.

    Parameters
    ----------
    probs : array_like, shape (n, C)
        Class probabilities of ``n`` samples (rows sum to 1); each sample's label is its most probable
        class (the first one on a tie, as ``argmax`` does).
    digit : int
        The class audited, in ``0 .. C - 1``.

    Returns
    -------
    (share, low, high) : tuple of float
        :math:`\hat p = k / n` with :math:`k` the samples labelled ``digit``, and
        :math:`\hat p \mp 1.96 \sqrt{\hat p (1 - \hat p) / n}` clipped to [0, 1] (the Wald interval).

    Examples
    --------
    >>> reference_class_share(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]), 1)
    (0.25, 0.0, 0.674352447854375)
    """
    probs = np.asarray(probs, dtype=float)
    n = len(probs)
    share = float(np.mean(probs.argmax(axis=1) == digit))
    half = Z_95 * np.sqrt(share * (1 - share) / n)
    return share, float(max(0.0, share - half)), float(min(1.0, share + half))


def compare_class_share(expected, got) -> str | None:
    """``compare_fn`` for :func:`reference_class_share`: names the usual mistakes of an audit."""
    arr = _floats(got, 3)
    if arr is None:
        return "return three numbers (share, low, high), e.g. a tuple of floats"
    p, lo, hi = expected
    g_p, g_lo, g_hi = arr
    if not np.isclose(g_p, p, rtol=1e-6, atol=1e-9):
        if np.isclose(g_p, 1 - p, atol=1e-9):
            return (f"the share should be {p:.6g} (got {g_p:.6g} = 1 - share): count the samples labelled "
                    "with the digit asked for, not the others")
        return (f"the share should be {p:.6g} (got {g_p:.6g}): it is the share of samples whose most probable "
                "class (the argmax of their row) is the digit, a count of labels, not the average probability")
    if g_lo < -1e-12 or g_hi > 1 + 1e-12:
        return f"a share lies in [0, 1]: clip the interval's ends (got [{g_lo:.6g}, {g_hi:.6g}])"
    if np.allclose([g_lo, g_hi], [lo, hi], rtol=1e-6, atol=1e-9):
        return None
    if g_lo > g_hi:
        return f"low should come before high (got low {g_lo:.6g} > high {g_hi:.6g})"
    # the ratio of half-widths, at an end that is not clipped, tells the mistake
    half, g_half = (hi - p, g_hi - g_p) if hi < 1 else (p - lo, g_p - g_lo)
    if half > 0 and (hi < 1 or lo > 0):
        ratio = g_half / half
        for factor, what in [(1.645 / Z_95, "1.645 is the quantile of a 90% interval; a 95% one uses 1.96"),
                             (1 / Z_95, "a 95% interval reaches 1.96 standard errors either side, not one")]:
            if np.isclose(ratio, factor, rtol=1e-3):
                return f"the interval is too narrow: {what}"
        if np.isclose(ratio, 1, rtol=1e-4):
            return (f"the interval should be [{lo:.9g}, {hi:.9g}] (got [{g_lo:.9g}, {g_hi:.9g}]): use the "
                    "contract's 1.96, not the exact normal quantile 1.959964...")
        if 1 < ratio < 1.2:
            return ("the interval is a little too wide: the standard error of a share divides by n, the number "
                    "of samples (not n - 1)")
    return f"the interval should be [{lo:.6g}, {hi:.6g}] (got [{g_lo:.6g}, {g_hi:.6g}])"


def class_share_cases():
    """Check cases ``(probs, digit)`` for the class-share exercise: argmax and mean probability disagree,
    small n (so that n - 1 shows), an interval clipped at 0 and one at 1, a share of exactly 0."""
    from ._checker import case

    rng = np.random.default_rng(15)

    def probs(n, C, concentration):
        return rng.dirichlet(np.full(C, concentration), size=n)  # (n, C), no ties

    p_clip = np.full((10, 10), 0.05)
    p_clip[np.arange(10), [7] + [1] * 9] = 0.55  # one sample of 7 among ten: the lower end is clipped
    p_all = np.full((12, 3), 0.2)
    p_all[:, 2] = 0.6  # every sample labelled 2
    return [case(probs(40, 10, 1.0), 3, label="40 samples, ten classes"),
            case(probs(9, 2, 0.7), 0, label="9 samples, two classes"),
            case(probs(500, 10, 0.3), 7, label="500 samples"),
            case(p_clip, 7, label="one sample in ten is a 7: the interval starts at 0"),
            case(p_all, 2, label="all samples labelled 2: share 1"),
            case(p_all, 0, label="no sample labelled 0: share 0")]


# --- exercise 2: the membership-inference score ---------------------------------------------------------

def reference_membership_scores(generated, candidates) -> np.ndarray:
    r"""Minus the Euclidean distance from each candidate to its nearest generated sample, shape (m,).

    Higher means "more likely a training record": the score of GAN-Leaks' black-box attack (Chen et al.,
    CCS 2020), as :func:`course_utils.metrics.membership_inference_auc` computes it,
    :math:`s(x) = -\min_{g \in S} \lVert x - g \rVert_2` for ``generated`` (n, d), ``candidates`` (m, d).
    """
    from ._metrics_privacy import _distances

    nearest, _ = _distances(np.asarray(candidates, dtype=float), np.asarray(generated, dtype=float), None)
    return -nearest


def compare_membership_scores(expected, got) -> str | None:
    """``compare_fn`` for :func:`reference_membership_scores`: catches the sign and squared distances."""
    from ._checker import _to_numpy, compare

    expected = np.asarray(expected)
    try:
        g = np.asarray(_to_numpy(got), dtype=float)
    except (TypeError, ValueError):
        return f"result should be an array of {len(expected)} numbers"
    if g.shape != expected.shape:
        return f"result should have shape {expected.shape}, one score per candidate (got shape {g.shape})"
    if np.any(expected != 0) and np.allclose(g, -expected, rtol=1e-5, atol=1e-4):
        return ("the scores have the wrong sign: a higher score must mean 'more likely a member', and members "
                "lie *closer* to the samples, so the score is minus the distance")
    for squared in (expected**2, -(expected**2)):
        if np.any(np.abs(expected) != 1) and np.allclose(g, squared, rtol=1e-5, atol=1e-4):
            return "the scores use squared distances; take the Euclidean distance (the square root)"
    return compare(expected, g, rtol=1e-5, atol=1e-4)  # float32 distances of coinciding points are ~1e-4


def membership_score_cases():
    """Check cases ``(generated, candidates)``: a hand example, random clouds, a candidate that is a sample."""
    from ._checker import case

    rng = np.random.default_rng(16)
    gen = rng.normal(size=(30, 5))
    cand = np.vstack([gen[:3], rng.normal(size=(7, 5))])  # the first three candidates are samples
    return [case(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 1.0], [6.0, 8.0], [3.0, 4.0]]),
                 label="two samples, three candidates (distances 1, 5, 0)"),
            case(rng.normal(size=(50, 3)), rng.normal(size=(12, 3)), label="50 samples, 12 candidates in 3-D"),
            case(gen, cand, label="candidates of which three are samples themselves"),
            case(rng.random((200, 64)), rng.random((6, 64)), label="200 samples of 64 pixels")]


# --- exercise 3: the attack's AUC by ranks --------------------------------------------------------------

def reference_auc(member_scores, non_member_scores) -> float:
    r"""ROC AUC :math:`P(S_m > S_n) + \tfrac12 P(S_m = S_n)` of scores that should be higher for members.

    The Mann-Whitney form with average ranks, as :func:`course_utils.metrics.membership_inference_auc`
    summarises its attack: 0.5 is a coin, 1 recognises every member, 0 gets every one backwards.
    """
    from ._metrics_privacy import roc_auc

    return roc_auc(np.asarray(member_scores, dtype=float).ravel(), np.asarray(non_member_scores, dtype=float).ravel())


def compare_auc(expected, got) -> str | None:
    """``compare_fn`` for :func:`reference_auc`: one number; names the swapped roles."""
    from ._checker import _to_numpy

    arr = _floats(got, 1)
    if arr is None:
        return f"return one number, the AUC (got {type(_to_numpy(got)).__name__})"
    g = float(arr[0])
    if np.isclose(g, expected, rtol=1e-9, atol=1e-9):
        return None
    if not np.isclose(expected, 0.5) and np.isclose(g, 1 - expected, atol=1e-9):
        return (f"the AUC should be {expected:.6g} (got {g:.6g} = 1 - AUC): count the pairs where the *member* "
                "scores higher")
    if g < expected:
        return (f"the AUC should be {expected:.6g} (got {g:.6g}, too low): a pair in which the member and the "
                "non-member score the same counts one half, and tied scores share their average rank")
    return (f"the AUC should be {expected:.6g} (got {g:.6g}, too high): a tied pair counts one half, not a whole "
            "win for the member")


def auc_cases():
    """Check cases ``(member_scores, non_member_scores)``: no ties, many ties, unequal sizes, perfect."""
    from ._checker import case

    rng = np.random.default_rng(17)
    return [case(np.array([3.0, 1.0, 4.0]), np.array([2.0, 0.5]), label="three members, two non-members"),
            case(rng.integers(0, 4, 25).astype(float), rng.integers(0, 3, 18).astype(float),
                 label="integer scores with many ties"),
            case(rng.normal(0.5, 1, 60), rng.normal(0, 1, 90), label="60 members, 90 non-members"),
            case(np.array([-0.1, -0.2]), np.array([-3.0, -2.5, -4.0]), label="every member scores higher"),
            case(np.ones(4), np.ones(5), label="all scores equal (AUC 0.5)")]
