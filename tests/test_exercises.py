import numpy as np
import pytest
import torch

from course_utils import exercises as ex
from course_utils.clustering import assign_labels


def reference(x, scale=2.0):
    return np.asarray(x) * scale


CASES = [ex.case(np.arange(3.0), label="small"), ex.case(np.ones((2, 2)), scale=3.0, label="matrix")]


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("WORKBOOK_GRADING", raising=False)


def test_correct_answer_passes_and_is_returned(capsys):
    def mine(x, scale=2.0):
        return np.asarray(x) * scale

    assert ex.check(mine, reference, CASES) is mine
    assert "\u2705 mine: correct on all 2 checks." in capsys.readouterr().out


def test_wrong_answer_reports_first_failing_input_and_falls_back(capsys):
    def mine(x, scale=2.0):
        return np.asarray(x) * 2.0  # ignores scale

    assert ex.check(mine, reference, CASES, hint="use scale") is reference
    out = capsys.readouterr().out
    assert "\u274c mine: wrong answer on matrix" in out
    assert "expected 3, got 2" in out and "Hint: use scale" in out
    assert "continues with the reference" in out


def test_unattempted_exercise_says_so(capsys):
    def mine(x, scale=2.0):
        raise NotImplementedError()

    assert ex.check(mine, reference, CASES) is reference
    assert "not attempted yet" in capsys.readouterr().out


def test_student_exception_is_short_and_points_at_their_line(capsys):
    def mine(x, scale=2.0):
        return x.undefined_attribute

    ex.check(mine, reference, CASES)
    out = capsys.readouterr().out
    assert "raised AttributeError" in out and "x.undefined_attribute" in out
    assert "Traceback" not in out


def test_shape_mismatch_is_reported():
    msg = ex.compare(np.zeros((2, 3)), np.zeros(6))
    assert msg == "result should have shape (2, 3) (got shape (6,))"


def test_compare_handles_tensors_tuples_dicts_and_nan():
    assert ex.compare((torch.ones(2), {"a": 1.0}), (np.ones(2), {"a": 1.0 + 1e-9})) is None
    assert "result[1]['a'] should be 1" in ex.compare((1, {"a": 1.0}), (1, {"a": 2.0}))
    assert "contains NaN" in ex.compare(np.ones(2), np.array([1.0, np.nan]))
    assert "sequence of 2 items" in ex.compare((1, 2), (1,))
    assert ex.compare("abc", "abd") == "result should be 'abc' (got 'abd')"


def test_inputs_are_copied_so_students_cannot_spoil_cases():
    X = np.zeros((4, 2))
    C = np.array([[0.0, 0.0], [1.0, 1.0]])

    def destructive(X, centers):
        out = assign_labels(X, centers)
        X[:] = 99.0
        return out

    assert ex.check(destructive, assign_labels, [ex.case(X, C)]) is destructive
    assert (X == 0).all()


def test_grading_mode_raises(monkeypatch):
    monkeypatch.setenv("WORKBOOK_GRADING", "1")

    def unattempted(x, scale=2.0):
        raise NotImplementedError()

    with pytest.raises(ex.ExerciseFailure, match="not attempted"):
        ex.check(unattempted, reference, CASES)
    with pytest.raises(ex.ExerciseFailure, match="wrong answer"):
        ex.check(lambda x, scale=2.0: x, reference, CASES, name="identity")


def test_custom_compare_fn(capsys):
    def labels_up_to_permutation(expected, got):
        pairs = set(zip(np.asarray(expected).tolist(), np.asarray(got).tolist()))
        return None if len(pairs) == len(set(np.asarray(expected).tolist())) else "labels differ"

    flipped = ex.check(lambda x: 1 - x, lambda x: x, [ex.case(np.array([0, 1, 1]))], name="flip",
                       compare_fn=labels_up_to_permutation)
    assert flipped(np.array([0])).tolist() == [1]
    assert "\u2705 flip" in capsys.readouterr().out


def test_check_value(capsys):
    assert ex.check_value(lambda: 0.5, 0.5, name="p") is True
    assert ex.check_value(lambda: 0.4, 0.5, name="p") is False
    out = capsys.readouterr().out
    assert "p should be 0.5 (got 0.4)" in out


def test_empty_cases_is_an_authoring_error():
    with pytest.raises(ValueError, match="cases must hold"):
        ex.check(reference, reference, [])
