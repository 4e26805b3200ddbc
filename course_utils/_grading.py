"""Grading a class: each submission run quickly, with a time limit per exercise, into a table and feedback.

A submission is graded by rebuilding the *instructor's* notebook with the student's solution cells put
in (check cells, hidden tests and every other cell come from the instructor, so a tampered or deleted
check cannot help), executing it with ``WORKBOOK_GRADING=1`` (a wrong or missing answer raises) and
``WORKBOOK_FAST=1`` (exercises do not depend on the training budget), and reading which check cells
raised. Cells are matched by their nbgrader ``grade_id``; a submission whose metadata was stripped
(Colab and some editors drop it) is matched by content: each solution cell by the lines the student
release gave it (signature, docstring), in order. A solution cell that cannot be found stops the grading
of that submission with a :class:`GradingError` naming the exercise: never a silent 0.

:func:`grade_class` writes the grades table (CSV: student, notebook, exercise, points, max, status) and
one feedback page per submission.
"""

from __future__ import annotations

import copy
import csv
import html
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ._release import _source, make_student_version
from .runtime import ONE_THREAD_ENV, QUIET_KERNEL

#: Default limit, in seconds, for each exercise's solution and check cells.
EXERCISE_TIMEOUT = 60
#: Limit for every other cell. FAST cells take seconds; this stops a later cell that calls a student's
#: endless loop from stalling the class (a check stopped at its limit swaps in the reference for the checked
#: name, but not for other functions a solution cell defines).
CELL_TIMEOUT = 120
_STUB_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE"}


class GradingError(RuntimeError):
    """A submission that cannot be graded as it is (says which exercise and why)."""


@dataclass
class ExerciseResult:
    grade_id: str
    points: float
    max_points: float
    status: str  # "correct", "wrong", "not attempted", "time limit", "graded by hand"
    message: str = ""


@dataclass
class Grade:
    student: str
    notebook: str
    results: list[ExerciseResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_points for r in self.results)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _fixed_lines(cell) -> set[str]:
    """The lines of a solution cell that the student release keeps (outside the solution region)."""
    stub = make_student_version({"cells": [copy.deepcopy(cell)]})["cells"][0]
    return {ln.strip() for ln in _source(stub).splitlines() if ln.strip() and ln.strip() not in _STUB_LINES}


def match_solutions(submission, reference) -> dict[str, dict]:
    """The submission's cell for each of the instructor's solution cells, by ``grade_id`` or by content.

    Raises :class:`GradingError` when a code solution cell cannot be identified. Markdown answers that
    cannot be identified are left out (they are graded by hand anyway).
    """
    by_id = {_meta(c).get("grade_id"): c for c in submission.cells if _meta(c).get("grade_id")}
    found, start = {}, 0
    cells = list(submission.cells)
    for ref in reference.cells:
        meta = _meta(ref)
        if not meta.get("solution"):
            continue
        gid = meta["grade_id"]
        if gid in by_id:
            found[gid] = by_id[gid]
            continue
        fixed = _fixed_lines(ref)
        best, best_score = None, 0.0
        for i in range(start, len(cells)):
            if cells[i].cell_type != ref.cell_type or not fixed:
                continue
            lines = {ln.strip() for ln in _source(cells[i]).splitlines()}
            score = len(fixed & lines) / len(fixed)
            if score > best_score:
                best, best_score = i, score
        if best is not None and best_score >= 0.6:
            found[gid], start = cells[best], best + 1
        elif ref.cell_type == "code":
            raise GradingError(f"cannot find the cell of exercise {gid!r} in the submission: its grade_id "
                               f"metadata is missing and no cell keeps the lines the release gave it "
                               f"({sorted(fixed)[:2]}); restore the cell or grade it by hand")
    return found


def graded_notebook(submission, reference):
    """The instructor's notebook with the student's solution cells put in."""
    found = match_solutions(submission, reference)
    nb = copy.deepcopy(reference)
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and gid in found:
            cell.source = _source(found[gid])
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _error_text(cell) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', '')}: {out.get('evalue', '')}".strip()
    return ""


def _exercise_sources(nb) -> set[str]:
    ids = {_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("grade") and c.cell_type == "code"}
    ids |= {g.removesuffix("-check") for g in ids}
    return {c.source for c in nb.cells if _meta(c).get("grade_id") in ids}


def grade_submission(path: Path, *, reference_dir: Path, student: str | None = None,
                     timeout: int = EXERCISE_TIMEOUT, cell_timeout: int = CELL_TIMEOUT,
                     one_thread: bool = False) -> Grade:
    """Grade one submitted notebook against the instructor's notebook of the same name.

    ``one_thread``: give the kernel one BLAS/torch thread (for submissions graded side by side).
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    source = Path(reference_dir) / path.name
    if not source.exists():
        raise GradingError(f"{path}: no instructor notebook named {path.name} in {reference_dir}")
    nb = graded_notebook(nbformat.read(path, as_version=4), nbformat.read(source, as_version=4))
    exercise_cells = _exercise_sources(nb)
    env = {**os.environ, **(ONE_THREAD_ENV if one_thread else {}), "WORKBOOK_GRADING": "1",
           "WORKBOOK_UNATTENDED": "1", "WORKBOOK_FAST": "1", "MPLBACKEND": "Agg"}
    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                            extra_arguments=QUIET_KERNEL,
                            timeout_func=lambda cell: timeout if cell.source in exercise_cells else cell_timeout,
                            resources={"metadata": {"path": str(reference_dir)}})
    start = time.perf_counter()
    client.execute(env=env)
    grade = Grade(student or path.parent.name, path.name, seconds=time.perf_counter() - start)
    for cell in nb.cells:
        meta = _meta(cell)
        if not meta.get("grade"):
            continue
        points = float(meta.get("points", 0))
        if cell.cell_type == "markdown":
            if points:
                grade.results.append(ExerciseResult(meta["grade_id"], 0.0, points, "graded by hand"))
            continue
        error = _error_text(cell)
        status = ("correct" if not error else "time limit" if error.startswith(("KeyboardInterrupt", "CellTimeout"))
                  else "not attempted" if "not attempted" in error or "NotImplementedError" in error else "wrong")
        if status == "time limit":
            error = f"stopped after the {timeout} s limit for an exercise (an endless loop?)"
        grade.results.append(ExerciseResult(meta["grade_id"], 0.0 if error else points, points, status, error))
    return grade


def write_csv(grades: list[Grade], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "notebook", "exercise", "points", "max", "status"])
        for g in grades:
            for r in g.results:
                writer.writerow([g.student, g.notebook, r.grade_id, f"{r.points:g}", f"{r.max_points:g}", r.status])
    return path


def write_feedback(grade: Grade, path: Path) -> Path:
    """One HTML page: each exercise, its points and what the check said."""
    rows = "".join(f"<tr><td>{html.escape(r.grade_id)}</td><td>{r.points:g} / {r.max_points:g}</td>"
                   f"<td>{html.escape(r.status)}</td><td><pre>{html.escape(r.message)}</pre></td></tr>"
                   for r in grade.results)
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Feedback: {html.escape(grade.notebook)}'
            f'</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.3em .8em;'
            f'text-align:left;vertical-align:top}}pre{{white-space:pre-wrap;margin:0}}</style></head><body>'
            f"<h1>{html.escape(grade.notebook)}</h1><p>Student: {html.escape(grade.student)}. Score "
            f"{grade.score:g} / {grade.max_score:g}.</p><table><tr><th>Exercise</th><th>Points</th><th>Result</th>"
            f"<th>What the check said</th></tr>{rows}</table></body></html>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def grade_class(submissions, *, reference_dir: Path, csv_path: Path, feedback_dir: Path, jobs: int = 1,
                timeout: int = EXERCISE_TIMEOUT) -> tuple[list[Grade], list[str]]:
    """Grade every submission (``jobs`` at a time); write the table and the feedback pages.

    Returns the grades and one line per submission that could not be graded (also printed).
    """
    def one(path):
        try:
            return grade_submission(path, reference_dir=reference_dir, timeout=timeout, one_thread=jobs > 1)
        except GradingError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(one, [Path(p) for p in submissions]))
    grades = [o for o in outcomes if isinstance(o, Grade)]
    refused = [o for o in outcomes if isinstance(o, str)]
    write_csv(grades, csv_path)
    for g in grades:
        write_feedback(g, Path(feedback_dir) / g.student / f"{Path(g.notebook).stem}.html")
    return grades, refused
