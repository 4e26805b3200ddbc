"""Privacy: a membership-inference attack on the samples of a generative model.

The public names are re-exported by :mod:`course_utils.metrics`; read their documentation there.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import rankdata

from ._metrics_distances import feature_matrix, same_columns
from ._validation import check_choice, check_positive_float

ATTACKS = ("distance", "monte_carlo")


class MembershipInference(NamedTuple):
    """The result of :func:`membership_inference_auc`."""

    auc: float  #: ROC AUC of the attack: 0.5 = no better than a coin, 1 = every member is recognised
    member_scores: np.ndarray  #: (n_members,) attack score of each member; higher = "was trained on"
    non_member_scores: np.ndarray  #: (n_non_members,) the same for the records the model never saw
    epsilon: float | None  #: the ball radius of the Monte-Carlo attack (None for the distance attack)


def _distances(candidates: np.ndarray, generated: np.ndarray, epsilon: float | None, chunk: int = 512):
    """For each candidate: the distance to its nearest sample and how many samples lie within ``epsilon``.

    Brute force in chunks of candidates, so that the ball test and the nearest distance use the very same
    numbers (a candidate whose nearest distance *is* epsilon is inside its own ball).
    """
    nearest = np.empty(len(candidates))
    within = np.zeros(len(candidates))
    for start in range(0, len(candidates), chunk):
        d = cdist(candidates[start:start + chunk], generated)  # (chunk, n)
        nearest[start:start + chunk] = d.min(axis=1)
        if epsilon is not None:
            within[start:start + chunk] = (d <= epsilon).sum(axis=1)
    return nearest, within


def roc_auc(member_scores: np.ndarray, non_member_scores: np.ndarray) -> float:
    r"""ROC AUC of scores that should be higher for members: :math:`P(S_m > S_n) + \tfrac12 P(S_m = S_n)`.

    The Mann-Whitney form: with average ranks :math:`r_i` of the members among all scores,
    :math:`\mathrm{AUC} = \big(\sum_i r_i - n_m (n_m + 1)/2\big) / (n_m n_n)`; ties count one half.
    """
    ranks = rankdata(np.concatenate([member_scores, non_member_scores]))  # average ranks, 1-based
    n_m, n_n = len(member_scores), len(non_member_scores)
    return float((ranks[:n_m].sum() - n_m * (n_m + 1) / 2) / (n_m * n_n))


def membership_inference_auc(generated, members, non_members, *, method: str = "distance",
                             epsilon: float | None = None) -> MembershipInference:
    r"""How well can an attacker who sees only samples tell training records from unseen ones?

    The attacker holds ``generated`` samples of a model and a list of candidate records, some of which
    (``members``) were in the model's training set and some not (``non_members``). Each candidate gets
    a score from its distances to the samples, higher meaning "probably a member", and the attack is
    summarised by the ROC AUC of the scores: the probability that a random member scores higher than
    a random non-member (ties count one half). A model that generalises leaves no trace of its
    training records (AUC about 0.5); a model that memorises puts samples on top of them (AUC near 1).

    Parameters
    ----------
    generated : array or tensor, shape (n, d)
        Samples of the model (or their features).
    members, non_members : array or tensor, shape (n_m, d) and (n_n, d)
        Candidate records that were, and were not, in the training set; same columns as ``generated``.
    method : {"distance", "monte_carlo"}
        ``"distance"`` (default): the full black-box attack of GAN-Leaks (Chen et al., CCS 2020),
        score = minus the Euclidean distance to the nearest generated sample.
        ``"monte_carlo"``: the Monte-Carlo attack of Hilprecht, Härterich & Bernau (PoPETs 2019),
        score = the share of generated samples within distance ``epsilon`` of the candidate.
    epsilon : float, optional
        Ball radius of the Monte-Carlo attack (only with ``method="monte_carlo"``). Default: the
        median, over all candidates, of the distance to their nearest generated sample, so that
        about half of the candidates have at least one sample in their ball (Hilprecht et al. set
        the radius from percentiles of the distances in the same spirit).

    Returns
    -------
    MembershipInference
        ``(auc, member_scores, non_member_scores, epsilon)``; ``epsilon`` is ``None`` for the
        distance attack.

    Raises
    ------
    ValueError
        On empty or non-finite inputs, different numbers of columns, an unknown ``method``, or an
        ``epsilon`` given to the distance attack or not > 0.

    Notes
    -----
    With :math:`d(x, S) = \min_{g \in S} \lVert x - g \rVert_2` the distance to the sample set :math:`S`,

    .. math::
        s_{\text{distance}}(x) = -d(x, S), \qquad
        s_{\text{MC}}(x) = \frac{1}{|S|} \sum_{g \in S} \mathbb 1\big[\lVert x - g \rVert_2 \le \varepsilon\big],

    and :math:`\mathrm{AUC} = P(s(X_m) > s(X_n)) + \tfrac12 P(s(X_m) = s(X_n))` over the two candidate sets.
    The AUC is the threshold-free summary; an attacker with a threshold trades true against false
    positives along the ROC curve. Distances in pixel space are a crude similarity for images; pass
    features (e.g. :meth:`DigitsClassifier.features`) to attack in a learned space instead.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> members, non_members = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    >>> copies = members + 1e-3 * rng.normal(size=(50, 2))  # a "model" that returns its training data
    >>> membership_inference_auc(copies, members, non_members).auc
    1.0
    """
    generated = feature_matrix(generated, "generated", min_rows=1)
    members = feature_matrix(members, "members", min_rows=1)
    non_members = feature_matrix(non_members, "non_members", min_rows=1)
    same_columns(generated, members, "generated", "members")
    same_columns(generated, non_members, "generated", "non_members")
    method = check_choice(method, "method", ATTACKS)
    candidates = np.vstack([members, non_members])  # (n_m + n_n, d)
    if method == "distance" and epsilon is not None:
        raise ValueError(f"epsilon is used by method='monte_carlo' only (got epsilon={epsilon!r} "
                         f"with method='distance')")
    if epsilon is not None:
        epsilon = check_positive_float(epsilon, "epsilon")
    nearest, within = _distances(candidates, generated, epsilon)  # (n_m + n_n,) each
    if method == "distance":
        scores = -nearest
    else:
        if epsilon is None:
            epsilon = float(np.median(nearest))
            if epsilon == 0:  # more than half of the candidates are exact copies: any tiny ball will do
                epsilon = float(np.finfo(float).tiny)
            _, within = _distances(candidates, generated, epsilon)
        scores = within / len(generated)
    member_scores, non_member_scores = scores[:len(members)], scores[len(members):]
    return MembershipInference(roc_auc(member_scores, non_member_scores), member_scores, non_member_scores,
                               None if method == "distance" else float(epsilon))
