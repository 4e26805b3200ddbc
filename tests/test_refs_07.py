"""The comparators of notebook 07's exercises: correct answers pass, the common mistakes are named."""

import numpy as np
import pytest
from scipy.special import logsumexp

from course_utils import exercises, hmm

WEATHER = hmm.CategoricalHMMParams([0.5, 0.2, 0.3], [[0.7, 0.1, 0.2], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]],
                                   [[0.4, 0.1, 0.5], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1]])
LEFT_RIGHT = hmm.CategoricalHMMParams([1.0, 0.0, 0.0], [[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.0, 0.0, 1.0]],
                                      [[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])
OBS = np.array([0, 1, 1, 2, 0])


def _forward(lp, lA, le, *, axis=0, first_emission=True, reduce=logsumexp):
    """A forward pass with switches for the usual mistakes."""
    la = np.empty(le.shape)
    la[0] = lp + (le[0] if first_emission else 0)
    for t in range(1, len(le)):
        terms = la[t - 1][:, None] + lA if axis == 0 else la[t - 1][None, :] + lA
        la[t] = reduce(terms, axis=axis) + le[t]
    return float(logsumexp(la[-1])), la


def _naive_logsumexp(a, axis):
    with np.errstate(divide="ignore"):
        return np.log(np.exp(a).sum(axis=axis))


def test_compare_forward_accepts_a_loop_and_names_mistakes():
    inputs = hmm.log_inputs(OBS, WEATHER)
    expected = hmm.forward(*inputs)
    assert exercises.compare_forward(expected, _forward(*inputs)) is None
    assert "row 0" in exercises.compare_forward(expected, _forward(*inputs, first_emission=False))
    assert "previous state i" in exercises.compare_forward(expected, _forward(*inputs, axis=1))
    long_inputs = hmm.log_inputs(hmm.sample_hmm(WEATHER, 3000, rng=7)[0], WEATHER)
    msg = exercises.compare_forward(hmm.forward(*long_inputs), _forward(*long_inputs, reduce=_naive_logsumexp))
    assert "underflowed" in msg
    lp, la = expected
    assert "sums the last row" in exercises.compare_forward(expected, (la[-1].max(), la))


def test_compare_forward_keeps_structural_zeros_apart_from_underflow():
    with np.errstate(divide="ignore"):
        inputs = hmm.log_inputs(np.array([0, 0, 1, 1, 0, 1]), LEFT_RIGHT)
    assert exercises.compare_forward(hmm.forward(*inputs), _forward(*inputs)) is None


def test_compare_forward_survives_malformed_answers():
    expected = hmm.forward(*hmm.log_inputs(OBS, WEATHER))
    assert "shape" in exercises.compare_forward(expected, (expected[0], expected[1][:, :2]))
    assert exercises.compare_forward(expected, None)


@pytest.mark.parametrize("mistake, words", [
    (lambda counts: counts / counts.sum(axis=0, keepdims=True), "rows of A_hat sum"),
    (lambda counts: counts, "rows of A_hat sum"),
    (lambda counts: np.full_like(counts, 1 / len(counts)), "structural zero"),
])
def test_compare_transmat_update_names_mistakes(mistake, words):
    with np.errstate(divide="ignore"):
        obs, params = np.array([0, 0, 1, 1, 0, 1]), LEFT_RIGHT
        counts = hmm.expected_transitions(*hmm.log_inputs(obs, params))
    expected = exercises.reference_hmm_reestimate_transmat(obs, params)
    assert exercises.compare_transmat_update(expected, counts / counts.sum(axis=1, keepdims=True)) is None
    assert words in exercises.compare_transmat_update(expected, mistake(counts))


def test_compare_transmat_update_names_wrong_counts():
    log_pi, log_A, log_e = hmm.log_inputs(OBS, WEATHER)
    lp, la = hmm.forward(log_pi, log_A, log_e)
    lb = hmm.backward(log_pi, log_A, log_e)
    log_xi = la[:-1, :, None] + log_A[None] + (log_e[:-1] + lb[1:])[:, None, :] - lp  # emission of day t: wrong
    wrong = np.exp(log_xi).sum(axis=0)
    msg = exercises.compare_transmat_update(exercises.reference_hmm_reestimate_transmat(OBS, WEATHER),
                                            wrong / wrong.sum(axis=1, keepdims=True))
    assert "emission and beta at t+1" in msg


def _viterbi(lp, lA, le, *, greedy=False, pointer_shift=0, max_axis=0):
    """Viterbi with switches for the usual mistakes: a greedy path, the wrong step's pointers, max over j."""
    T, N = le.shape
    delta, back, best = lp + le[0], np.zeros((T, N), dtype=int), [int(np.argmax(lp + le[0]))]
    for t in range(1, T):
        scores = delta[:, None] + lA  # (N, N): from i to j
        back[t], delta = scores.argmax(axis=0), scores.max(axis=max_axis) + le[t]
        best.append(int(delta.argmax()))
    path = np.empty(T, dtype=int)
    path[-1] = delta.argmax()
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t - pointer_shift, path[t]]
    return float(delta.max()), np.array(best) if greedy else path


def test_compare_viterbi_accepts_a_loop_and_names_mistakes():
    inputs = hmm.log_inputs(OBS, WEATHER)
    expected = hmm.viterbi(*inputs)
    assert exercises.compare_viterbi(expected, _viterbi(*inputs)) is None
    assert exercises.compare_viterbi(expected, (expected[0], expected[1].astype(float))) is None
    for mistake in ({"greedy": True}, {"pointer_shift": 1}):
        msg = exercises.compare_viterbi(expected, _viterbi(*inputs, **mistake))
        assert "trace-back" in msg and "greedy" in msg and "wrong step's pointers" in msg
    assert "previous state i" in exercises.compare_viterbi(expected, _viterbi(*inputs, max_axis=1))
    wrong_end = expected[1].copy()
    wrong_end[-1] = (wrong_end[-1] + 1) % 3
    assert "largest delta on the last day" in exercises.compare_viterbi(expected, (expected[0], wrong_end))


def test_compare_viterbi_survives_malformed_answers():
    expected = hmm.viterbi(*hmm.log_inputs(OBS, WEATHER))
    assert "shape" in exercises.compare_viterbi(expected, (expected[0], expected[1][:3]))
    assert exercises.compare_viterbi(expected, None)
