"""A self-check quiz graded in the notebook: questions, a quiz, and the check that marks a student's answers.

A :class:`Question` is either multiple choice (``choices`` given; the answer is a letter ``"a"``, ``"b"``,
...) or numeric (``choices`` empty; the answer is a number, right within ``tolerance``). Each carries an
explanation, shown after the student has answered it (right or wrong). A :class:`Quiz` is a tuple of
questions with unique ids. :func:`check_quiz` marks a dict ``{question_id: answer}``: ``None`` means
"not attempted" and never crashes. Under grading (``WORKBOOK_GRADING`` set) a wrong or missing answer
raises :class:`~course_utils.exercises.ExerciseFailure`, like every other exercise check.

The correct answers live here, in the library, and never in a notebook cell: the notebook shows the
questions (rendered by :meth:`Quiz.to_markdown`) and the student's own dict of answers.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Mapping

import numpy as np

from ._checker import _FAIL, _PASS, _TODO, ExerciseFailure, _short, _student_frame, grading_mode

__all__ = ["Question", "Quiz", "QuizResult", "check_quiz"]

_LETTERS = "abcdefgh"


@dataclasses.dataclass(frozen=True)
class Question:
    """One quiz question.

    Parameters
    ----------
    id : str
        The key of the answers dict (``"q1"``).
    text : str
        The question, in Markdown (LaTeX allowed).
    answer : str or float
        A letter ``"a"``, ``"b"``, ... for multiple choice; a number for a numeric question.
    explanation : str
        Why the answer is what it is; shown once the question has been answered.
    choices : tuple of str
        The options of a multiple-choice question, labelled a, b, ... in order; empty for a numeric one.
    tolerance : float
        Numeric questions only: an answer within ``tolerance`` of ``answer`` (absolute) is right.
    """

    id: str
    text: str
    answer: str | float
    explanation: str
    choices: tuple[str, ...] = ()
    tolerance: float = 0.0

    def __post_init__(self):
        if not self.id or not isinstance(self.id, str):
            raise ValueError(f"a question id must be a non-empty string (got {self.id!r})")
        if self.choices:
            if not 2 <= len(self.choices) <= len(_LETTERS):
                raise ValueError(f"question {self.id}: 2 to {len(_LETTERS)} choices expected (got {len(self.choices)})")
            if self.answer not in _LETTERS[:len(self.choices)]:
                raise ValueError(f"question {self.id}: the answer must be one of the letters "
                                 f"{_LETTERS[:len(self.choices)]!r} (got {self.answer!r})")
        elif not isinstance(self.answer, numbers.Real) or isinstance(self.answer, bool):
            raise ValueError(f"question {self.id}: a numeric question needs a number as its answer "
                             f"(got {self.answer!r}); give choices for a multiple-choice one")
        if self.tolerance < 0:
            raise ValueError(f"question {self.id}: tolerance must be >= 0 (got {self.tolerance})")

    @property
    def kind(self) -> str:
        """``"choice"`` or ``"numeric"``."""
        return "choice" if self.choices else "numeric"

    def mark(self, given) -> tuple[bool, str | None]:
        """Mark one answer: ``(correct, problem)``, ``problem`` saying what is off with its form, if anything.

        A multiple-choice answer is a letter (case and surrounding spaces or brackets are ignored:
        ``"B"``, ``" b "``, ``"(b)"``); a numeric answer is a real number (int, float, NumPy scalar or a
        0-d array; not a string, not a bool).
        """
        if self.kind == "choice":
            if not isinstance(given, str):
                return False, f"answer with one of the letters {_letter_list(len(self.choices))} (got {_short(given)})"
            letter = given.strip().strip("()").strip().lower()
            if letter not in _LETTERS[:len(self.choices)]:
                return False, f"{given!r} is not one of the letters {_letter_list(len(self.choices))}"
            return letter == self.answer, None
        if isinstance(given, np.ndarray) and given.dtype.kind in "iuf":
            if given.shape != ():
                return False, f"answer with a single number (got an array of shape {given.shape})"
            given = given.item()
        if isinstance(given, (bool, np.bool_)) or not isinstance(given, numbers.Real):
            return False, f"answer with a number (got {_short(given)})"
        value = float(given)
        if not np.isfinite(value):
            return False, f"answer with a finite number (got {float(value)})"
        return bool(abs(value - float(self.answer)) <= self.tolerance), None


def _letter_list(n: int) -> str:
    return ", ".join(_LETTERS[:n - 1]) + " or " + _LETTERS[n - 1]


@dataclasses.dataclass(frozen=True)
class Quiz:
    """An ordered set of :class:`Question` with unique ids."""

    title: str
    questions: tuple[Question, ...]

    def __post_init__(self):
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question ids must be unique (got {ids})")
        if not ids:
            raise ValueError("a quiz needs at least one question")

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    def blank_answers(self) -> dict:
        """``{question_id: None}`` for every question: the template a student fills in."""
        return {q.id: None for q in self.questions}

    def to_markdown(self) -> str:
        """The questions (never the answers) as a Markdown list, for the notebook."""
        lines = []
        for q in self.questions:
            lines.append(f"**{q.id}.** {q.text}" + ("" if q.choices else " *(a number)*"))
            lines.extend(f"   - ({letter}) {choice}" for letter, choice in zip(_LETTERS, q.choices))
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


@dataclasses.dataclass(frozen=True)
class QuizResult:
    """The marks of one attempt: question ids by outcome (each in quiz order)."""

    correct: tuple[str, ...]
    wrong: tuple[str, ...]
    not_attempted: tuple[str, ...]

    @property
    def score(self) -> int:
        return len(self.correct)

    @property
    def passed(self) -> bool:
        return not self.wrong and not self.not_attempted


def check_quiz(answers: Mapping | Callable[[], Mapping], quiz: Quiz, *, name: str = "quiz") -> QuizResult:
    """Mark a student's answers to ``quiz``, print the verdict of every question, return the marks.

    Parameters
    ----------
    answers : dict or callable
        ``{question_id: answer}``, or a function of no arguments returning one (so that a stub raising
        ``NotImplementedError`` counts as not attempted). A missing id or ``None`` is "not attempted".
    quiz : Quiz
    name : str
        Shown in the messages.

    Returns
    -------
    QuizResult

    Raises
    ------
    ExerciseFailure
        Only under grading (``WORKBOOK_GRADING`` set), when an answer is wrong or missing; the message
        holds the whole report, explanations included.
    """
    stub = None
    if callable(answers):
        try:
            answers = answers()
        except NotImplementedError:
            answers = {}
            stub = (f"   {_TODO} your function still raises NotImplementedError: fill in the answers, then delete "
                    f"the raise line")
        except Exception as exc:
            return _finish(name, [f"{_FAIL} {name}: your function raised {type(exc).__name__}: {exc}"
                                  f"{_student_frame(exc)}"], QuizResult((), (), tuple(quiz.ids)))
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        return _finish(name, [f"{_FAIL} {name}: expected a dict {{question id: answer}} (got {_short(answers)})"],
                       QuizResult((), (), tuple(quiz.ids)))
    lines, correct, wrong, todo = [], [], [], []
    unknown = [k for k in answers if k not in quiz.ids]
    for q in quiz.questions:
        given = answers.get(q.id)
        if given is None:
            todo.append(q.id)
            lines.append(f"   {_TODO} {q.id}: not attempted")
            continue
        ok, problem = q.mark(given)
        (correct if ok else wrong).append(q.id)
        verdict = "right" if ok else (f"not marked: {problem}" if problem else f"wrong (you answered {_short(given)})")
        lines.append(f"   {_PASS if ok else _FAIL} {q.id}: {verdict}. {q.explanation}")
    result = QuizResult(tuple(correct), tuple(wrong), tuple(todo))
    head = f"{name}: {len(correct)} of {len(quiz.questions)} right"
    if wrong:
        head += f", {len(wrong)} wrong ({', '.join(wrong)})"
    if todo:
        head += f", {len(todo)} not attempted"
    symbol = _PASS if result.passed and not unknown else (_TODO if not wrong and not unknown else _FAIL)
    report = [f"{symbol} {head}."] + ([stub] if stub else []) + lines
    if unknown:
        report.append(f"   {_FAIL} not questions of this quiz: {', '.join(map(repr, unknown))} "
                      f"(the ids are {', '.join(quiz.ids)})")
        result = QuizResult(result.correct, result.wrong + tuple(map(str, unknown)), result.not_attempted)
    return _finish(name, report, result)


def _finish(name: str, report: list[str], result: QuizResult) -> QuizResult:
    text = "\n".join(report)
    if grading_mode() and not result.passed:
        raise ExerciseFailure(text)
    print(text)
    return result
