"""The class grader: FAST runs, a time limit per exercise, a CSV table, feedback pages, stripped metadata."""

import csv
import json
import time
from pathlib import Path

import pytest
from test_workbook import CHECK, SOLUTION

from course_utils import _authoring as authoring
from course_utils import _grading, workbook


@pytest.fixture
def course(tmp_path, monkeypatch):
    """An instructor notebook (one exercise, 3 points, and a cell that insists on FAST) and its release."""
    src = tmp_path / "notebooks"
    src.mkdir()
    cells = [authoring.header("97", "Graded", "97-graded.ipynb"), *authoring.setup(), *authoring.parameters(),
             authoring.code('assert FAST, "grading runs the FAST configuration"'),
             authoring.solution(SOLUTION, "ex-double"), authoring.check(CHECK, "ex-double-check", 3),
             authoring.code('open("after.txt", "w").write(str(double(4)))  # what later cells went on with')]
    authoring.write(str(src / "97-graded.ipynb"), cells)
    monkeypatch.setattr(workbook, "NOTEBOOK_DIR", src)
    release = workbook.write_student_versions(tmp_path / "release")[0]
    return src, release


def submit(tmp_path, student, nb) -> Path:
    path = tmp_path / "submissions" / student / "97-graded.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def answered(release, body: str) -> dict:
    nb = json.loads(release.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "ex-double":
            cell["source"] = cell["source"].replace("    # YOUR CODE HERE\n    raise NotImplementedError()\n", body)
    return nb


def strip_metadata(nb: dict) -> dict:
    for cell in nb["cells"]:
        cell["metadata"] = {}
    return nb


def test_solution_scores_full_in_fast_mode_and_blank_scores_zero(course, tmp_path):
    src, release = course
    good = submit(tmp_path, "ann", answered(release, "    return x + x\n"))
    g = _grading.grade_submission(good, reference_dir=src)
    assert (g.score, g.max_score, g.student) == (3.0, 3.0, "ann")  # the FAST assert passed
    blank = _grading.grade_submission(submit(tmp_path, "bob", json.loads(release.read_text())), reference_dir=src)
    assert blank.score == 0.0 and blank.results[0].status == "not attempted"


def test_stripped_metadata_is_matched_by_content(course, tmp_path):
    src, release = course
    sub = submit(tmp_path, "cy", strip_metadata(answered(release, "    return 2 * x\n")))
    assert _grading.grade_submission(sub, reference_dir=src).score == 3.0
    wrong = submit(tmp_path, "dee", strip_metadata(answered(release, "    return 3 * x\n")))
    g = _grading.grade_submission(wrong, reference_dir=src)
    assert g.score == 0.0 and g.results[0].status == "wrong"


def test_unidentifiable_cell_is_refused_loudly(course, tmp_path):
    src, release = course
    nb = strip_metadata(answered(release, "    return 2 * x\n"))
    for cell in nb["cells"]:
        cell["source"] = cell["source"].replace("def double(x):", "def twice(x):").replace('"""Twice x."""', "")
    with pytest.raises(_grading.GradingError, match="ex-double"):
        _grading.grade_submission(submit(tmp_path, "eve", nb), reference_dir=src)


def test_endless_loop_scores_zero_for_that_exercise_and_grading_goes_on(course, tmp_path):
    src, release = course
    sub = submit(tmp_path, "fay", answered(release, "    while True:\n        pass\n"))
    start = time.perf_counter()
    g = _grading.grade_submission(sub, reference_dir=src, timeout=3, cell_timeout=5)
    assert time.perf_counter() - start < 60
    assert g.score == 0.0 and g.results[0].status == "time limit" and "3 s" in g.results[0].message
    assert (src / "after.txt").read_text() == "8"  # the later cell ran the reference, not the endless loop


def test_later_cells_go_on_with_the_reference_after_a_wrong_answer(course, tmp_path):
    src, release = course
    g = _grading.grade_submission(submit(tmp_path, "ida", answered(release, "    return 3 * x\n")), reference_dir=src)
    assert g.score == 0.0 and g.results[0].status == "wrong"
    assert (src / "after.txt").read_text() == "8"  # not 12: one wrong answer does not spread to later cells


def test_class_table_and_feedback_pages(course, tmp_path):
    src, release = course
    subs = [submit(tmp_path, "gus", answered(release, "    return 2 * x\n")),
            submit(tmp_path, "hal", answered(release, "    return x\n"))]
    grades, refused = _grading.grade_class(subs, reference_dir=src, csv_path=tmp_path / "out" / "grades.csv",
                                           feedback_dir=tmp_path / "out" / "feedback", jobs=2)
    assert refused == []
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student"], r["exercise"], r["points"], r["max"]) for r in rows] == [
        ("gus", "ex-double-check", "3", "3"), ("hal", "ex-double-check", "0", "3")]
    page = (tmp_path / "out" / "feedback" / "hal" / "97-graded.html").read_text()
    assert "0 / 3" in page and "wrong answer" in page
