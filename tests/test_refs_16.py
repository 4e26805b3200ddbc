"""Notebook 16's exercise checks: the quiz marks fairly, and the coverage and energy-summary checks accept
other correct solutions and reject the common mistakes."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from _quiet import run_check as _run
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from course_utils import exercises as ex
from course_utils import metrics
from course_utils._quiz import Question, Quiz

# --- exercise 3: the quiz --------------------------------------------------------------------------

QUIZ = ex.conclusion_quiz


def _correct_answers():
    return {q.id: (q.answer if q.choices else round(float(q.answer), 3)) for q in QUIZ.questions}


def _mark(answers):
    with redirect_stdout(io.StringIO()) as out:
        result = ex.check_quiz(answers, QUIZ)
    return result, out.getvalue()


def test_all_correct_answers_pass():
    result, out = _mark(_correct_answers())
    assert result.passed and result.score == len(QUIZ.questions)
    assert f"{len(QUIZ.questions)} of {len(QUIZ.questions)} right" in out


def test_answers_in_other_forms_are_accepted():
    answers = _correct_answers()
    for q in QUIZ.questions:
        if q.choices:
            answers[q.id] = f" ({q.answer.upper()}) "
        else:
            answers[q.id] = np.float32(q.answer + 0.9 * q.tolerance) if q.tolerance else int(q.answer)
    result, out = _mark(answers)
    assert result.passed, out
    result, _ = _mark(lambda: _correct_answers())  # a function returning the dict
    assert result.passed


def test_one_wrong_answer_fails_and_shows_its_explanation():
    for q in QUIZ.questions:
        answers = _correct_answers()
        if q.choices:
            answers[q.id] = next(letter for letter in "abcdefgh"[:len(q.choices)] if letter != q.answer)
        else:
            answers[q.id] = float(q.answer) + 3 * q.tolerance + 1.0
        result, out = _mark(answers)
        assert not result.passed and result.wrong == (q.id,), q.id
        assert q.explanation in out and "wrong" in out


def test_none_is_not_attempted_and_does_not_crash():
    answers = _correct_answers()
    answers["q2"] = None
    del answers["q3"]
    result, out = _mark(answers)
    assert not result.passed and set(result.not_attempted) == {"q2", "q3"} and not result.wrong
    assert "q2: not attempted" in out and "2 not attempted" in out
    result, out = _mark(QUIZ.blank_answers())
    assert result.score == 0 and len(result.not_attempted) == len(QUIZ.questions)

    def stub():
        raise NotImplementedError()

    result, out = _mark(stub)
    assert len(result.not_attempted) == len(QUIZ.questions)
    assert "still raises NotImplementedError" in out and "delete the raise line" in out


def test_answers_of_the_wrong_form_are_marked_wrong_with_a_reason():
    answers = _correct_answers()
    answers["q1"], answers["q3"] = "17", "e"
    result, out = _mark(answers)
    assert set(result.wrong) == {"q1", "q3"}
    assert "answer with a number" in out and "not one of the letters" in out
    result, out = _mark({**_correct_answers(), "Q1": 17})
    assert not result.passed and "not questions of this quiz" in out
    result, out = _mark([17, "c"])
    assert not result.passed and "expected a dict" in out


def test_under_grading_a_wrong_or_missing_answer_raises(monkeypatch):
    monkeypatch.setenv("WORKBOOK_GRADING", "1")
    assert ex.check_quiz(_correct_answers(), QUIZ).passed
    with pytest.raises(ex.ExerciseFailure, match="q3"):
        ex.check_quiz({**_correct_answers(), "q3": "a"}, QUIZ)
    with pytest.raises(ex.ExerciseFailure, match="not attempted"):
        ex.check_quiz({**_correct_answers(), "q4": None}, QUIZ)


def test_questions_validate_their_answers():
    with pytest.raises(ValueError, match="one of the letters"):
        Question("x", "?", "d", "because", choices=("yes", "no"))
    with pytest.raises(ValueError, match="needs a number"):
        Question("x", "?", "a", "because")
    with pytest.raises(ValueError, match="unique"):
        Quiz("t", (Question("x", "?", 1, "e"), Question("x", "?", 2, "e")))
    md = QUIZ.to_markdown()
    assert all(f"**{q.id}.**" in md for q in QUIZ.questions)
    assert all(q.explanation not in md for q in QUIZ.questions)


# --- exercise 1: coverage --------------------------------------------------------------------------

COVERAGE_CASES = [ex.coverage_case(200, 200, 2, 5, seed=0), ex.coverage_case(150, 300, 3, 3, seed=1, shift=1.5),
                  ex.coverage_case(120, 60, 2, 5, seed=2, spread=0.2), ex.coverage_case(100, 100, 2, 1, seed=3),
                  ex.coverage_case(400, 300, 2, 5, seed=4, shift=0.3)]


def _check_coverage(fn):
    wrapped = ex.forbid_calls(fn, ["density_coverage", "precision_recall"], rule="NumPy")
    return _run(lambda f: ex.check(f, ex.reference_coverage, cases=COVERAGE_CASES, rtol=0, atol=1e-9,
                                   name="my_coverage", hint="h"), wrapped)


def coverage_kdtree(real, fake, k):
    radius = cKDTree(real).query(real, k=k + 1)[0][:, k]
    nearest_fake = cKDTree(fake).query(real, k=1)[0]
    return float(np.mean(nearest_fake <= radius))


def coverage_loop(real, fake, k):
    hits = 0
    for x in real:
        r = np.sort(np.linalg.norm(real - x, axis=1))[k]
        hits += bool((np.linalg.norm(fake - x, axis=1) <= r).any())
    return hits / len(real)


def coverage_self_counted(real, fake, k):  # mistake: the point itself counted as a neighbour
    radius = np.sort(cdist(real, real), axis=1)[:, k - 1]
    return float((cdist(real, fake) <= radius[:, None]).any(axis=1).mean())


def coverage_fake_balls(real, fake, k):  # mistake: balls around the fakes (that is recall)
    radius = np.sort(cdist(fake, fake), axis=1)[:, k]
    return float((cdist(real, fake) <= radius[None, :]).any(axis=1).mean())


def coverage_share_of_fakes(real, fake, k):  # mistake: the share of fakes inside real balls (precision)
    radius = np.sort(cdist(real, real), axis=1)[:, k]
    return float((cdist(fake, real) <= radius[None, :]).any(axis=1).mean())


def coverage_density(real, fake, k):  # mistake: counts every fake in every ball (density)
    radius = np.sort(cdist(real, real), axis=1)[:, k]
    return float((cdist(fake, real) <= radius[None, :]).sum() / (k * len(fake)))


def coverage_library(real, fake, k):  # refused
    return metrics.density_coverage(real, fake, k=k)[1]


def test_coverage_check_accepts_trees_and_loops():
    for fn in (coverage_kdtree, coverage_loop):
        ok, out = _check_coverage(fn)
        assert ok, (fn.__name__, out)


def test_coverage_check_rejects_the_common_mistakes():
    for fn in (coverage_self_counted, coverage_fake_balls, coverage_share_of_fakes, coverage_density):
        ok, out = _check_coverage(fn)
        assert not ok and "Hint" in out, fn.__name__
    ok, out = _check_coverage(coverage_library)
    assert not ok and "density_coverage" in out


# --- exercise 2: the energy distance over draws ------------------------------------------------------

ENERGY_CASES = [ex.energy_summary_case(200, 2, 0.5, 5, seed=0), ex.energy_summary_case(150, 3, 0.0, 4, seed=1),
                ex.energy_summary_case(100, 2, 1.0, 2, seed=2)]


def _check_energy(fn):
    return _run(lambda f: ex.check(f, ex.reference_energy_summary, cases=ENERGY_CASES,
                                   compare_fn=ex.compare_mean_se, name="my_energy_summary", hint="h"), fn)


def energy_loop(draw, real, n_draws):
    values = []
    for i in range(n_draws):
        values.append(metrics.energy_distance(draw(i), real))
    mean = sum(values) / n_draws
    var = sum((v - mean) ** 2 for v in values) / (n_draws - 1)
    return [mean, (var / n_draws) ** 0.5]


def energy_array(draw, real, n_draws):
    e = np.array([metrics.energy_distance(real, draw(i)) for i in range(n_draws)])  # symmetric
    return np.array([e.mean(), e.std(ddof=1) / np.sqrt(len(e))])


def energy_ddof0(draw, real, n_draws):  # mistake: the population standard deviation
    e = np.array([metrics.energy_distance(draw(i), real) for i in range(n_draws)])
    return e.mean(), e.std() / np.sqrt(n_draws)


def energy_std_not_se(draw, real, n_draws):  # mistake: the spread, not the error of the mean
    e = np.array([metrics.energy_distance(draw(i), real) for i in range(n_draws)])
    return e.mean(), e.std(ddof=1)


def energy_same_draw(draw, real, n_draws):  # mistake: the same sample set every time
    e = np.array([metrics.energy_distance(draw(0), real) for _ in range(n_draws)])
    return e.mean(), e.std(ddof=1) / np.sqrt(n_draws)


def energy_over_n(draw, real, n_draws):  # mistake: divided by n, not sqrt(n)
    e = np.array([metrics.energy_distance(draw(i), real) for i in range(n_draws)])
    return e.mean(), e.std(ddof=1) / n_draws


def test_energy_check_accepts_loops_and_arrays():
    for fn in (energy_loop, energy_array):
        ok, out = _check_energy(fn)
        assert ok, (fn.__name__, out)


def test_energy_check_rejects_the_common_mistakes():
    for fn in (energy_ddof0, energy_std_not_se, energy_same_draw, energy_over_n):
        ok, out = _check_energy(fn)
        assert not ok and "standard error" in out and "Hint" in out, fn.__name__


def test_draws_are_reproducible_and_distinct():
    draw = ex.GaussianDraws(10, 2, 0.5, seed=3)
    assert np.array_equal(draw(1), draw(1)) and not np.allclose(draw(0), draw(1))
    assert ex.compare_mean_se((1.0, 0.1), (1.0, 0.1)) is None
    assert "two numbers" in ex.compare_mean_se((1.0, 0.1), 1.0)
    assert set(ex.__all__) >= {"check_quiz", "conclusion_quiz", "reference_coverage", "reference_energy_summary"}
