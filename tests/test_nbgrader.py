"""The whole nbgrader round trip, with nbgrader itself, on two real notebooks.

Release (sources validated by nbgrader's Validator, then generate_assignment), then autograde three
submissions of each: the instructor's solutions score full points, the blank release scores 0, and a
submission whose last exercise is wrong loses exactly that exercise's points.
"""

import json
import re
import shutil

import pytest

from course_utils import _nbgrader, workbook

pytest.importorskip("nbgrader", reason="nbgrader comes with the instructor extra, which `make venv` installs")

NOTEBOOKS = ["03", "07"]  # the two quickest notebooks with graded exercises


def last_code_exercise(nb: dict) -> tuple[int, str]:
    ids = [(i, c["metadata"]["nbgrader"]["grade_id"]) for i, c in enumerate(nb["cells"])
           if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")]
    return ids[-1]


def with_wrong_answer(source: dict) -> tuple[dict, str]:
    nb = json.loads(json.dumps(source))
    i, gid = last_code_exercise(nb)
    text = "".join(nb["cells"][i]["source"])
    nb["cells"][i]["source"] = re.sub(r"(?ms)^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[^\n]*",
                                      r'\1raise ValueError("a wrong answer")', text)
    return nb, gid


@pytest.mark.slow
def test_nbgrader_round_trip(tmp_path):
    paths = workbook.resolve(NOTEBOOKS)
    failures = _nbgrader.build_course(tmp_path, paths, jobs=2)  # validated side by side, as `make release` does
    assert failures == {p.stem: [] for p in paths}  # every source passes nbgrader's Validator
    for path in paths:
        name = path.stem
        release = tmp_path / "release" / name / path.name
        assert "BEGIN SOLUTION" not in release.read_text()
        source = json.loads(path.read_text())
        wrong, wrong_id = with_wrong_answer(source)
        for student, nb in (("solution", source), ("blank", json.loads(release.read_text())), ("one-wrong", wrong)):
            target = tmp_path / "submitted" / student / name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(nb))
        full, total, cells = _nbgrader.autograde(tmp_path, name, "solution")
        assert full == total > 0, cells
        blank, _, _ = _nbgrader.autograde(tmp_path, name, "blank")
        assert blank == 0
        partial, _, partial_cells = _nbgrader.autograde(tmp_path, name, "one-wrong")
        lost = {cell: cells[cell] - partial_cells[cell] for cell in cells if cells[cell] != partial_cells[cell]}
        assert list(lost) == [f"{wrong_id}-check"], lost
        assert partial == full - lost[f"{wrong_id}-check"] < full
    shutil.rmtree(tmp_path / "submitted")


def test_course_config_sets_grading_mode(tmp_path):
    text = _nbgrader.write_config(tmp_path).read_text()
    assert "WORKBOOK_GRADING" in text and "c.CourseDirectory.root" in text
    compile(text, "nbgrader_config.py", "exec")


@pytest.mark.slow
def test_sources_validated_side_by_side_report_each_failure_and_restore_the_environment(tmp_path, monkeypatch):
    import os

    from test_workbook import CHECK, SOLUTION

    from course_utils import _authoring as authoring

    monkeypatch.delenv("WORKBOOK_GRADING", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    paths = []
    for number, body in (("95", SOLUTION), ("96", SOLUTION.replace("2 * x", "3 * x"))):
        path = tmp_path / "notebooks" / f"{number}-tiny.ipynb"
        path.parent.mkdir(exist_ok=True)
        authoring.write(str(path), [authoring.header(number, "Tiny", path.name), *authoring.setup(),
                                    authoring.solution(body, "ex-double"), authoring.check(CHECK, "ex-double-check", 1)])
        paths.append(path)
    failures = _nbgrader.build_course(tmp_path / "course", paths, jobs=2)
    assert failures["95-tiny"] == []
    assert [line.split(" = ")[0] for line in failures["96-tiny"]] == ["double"]  # its check cell, named
    assert "WORKBOOK_GRADING" not in os.environ and os.environ["OMP_NUM_THREADS"] == "7"
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        _nbgrader.build_course(tmp_path / "course", paths, jobs=0)
