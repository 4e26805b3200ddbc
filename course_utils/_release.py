"""The student release and grading (part of :mod:`course_utils.workbook`, which re-exports these names).

- :func:`make_student_version`: solutions stubbed, hidden tests removed, outputs cleared;
- :func:`write_student_versions`: writes the release and refuses one in which solution code shows,
  either as a solution line or as a run of more than ten solution tokens in a check cell
  (:mod:`course_utils._leaks`);
- :func:`grade`: scores one submission (the class grader is :mod:`course_utils._grading`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import _leaks

SOLUTION_RE = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*(\n|$)",
                         re.S | re.M)
HIDDEN_RE = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n.*?^[ \t]*### END HIDDEN TESTS[^\n]*(\n|$)",
                       re.S | re.M)


def _workbook():
    from . import workbook  # imported late: workbook imports this module

    return workbook


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _stub(match: re.Match, cell_type: str) -> str:
    indent = match.group(1)
    if cell_type == "markdown":
        return "YOUR ANSWER HERE\n"
    return f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"


def solution_snippets(nb: dict) -> list[str]:
    """Distinctive lines of every solution region (for leak checks)."""
    lines = []
    for cell in nb["cells"]:
        for m in SOLUTION_RE.finditer(_source(cell)):
            lines += [ln.strip() for ln in m.group(2).splitlines() if len(ln.strip()) >= 12]
    return lines


def make_student_version(nb: dict) -> dict:
    """Return a copy of a notebook with solutions stubbed, hidden tests removed and outputs cleared."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        src = _source(cell)
        src = SOLUTION_RE.sub(lambda m, t=cell["cell_type"]: _stub(m, t), src)
        src = HIDDEN_RE.sub("", src)
        cell["source"] = src
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def write_student_versions(output: Path, notebooks: list[Path] | None = None, *,
                           max_run: int = 10) -> list[Path]:
    """Write the student release of each notebook to ``output`` and check that no solution leaked.

    Refuses (``RuntimeError`` naming the notebook, the exercise and the fragment) when a solution line
    survives in the release, or when a check cell (its code or its hint strings) shares a run of more
    than ``max_run`` consecutive code tokens with a solution (:func:`course_utils._leaks.notebook_leaks`).
    """
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks or _workbook().list_notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        student = make_student_version(nb)
        text = json.dumps(student, indent=1, ensure_ascii=False) + "\n"
        leaked = [s for s in solution_snippets(nb) if s in text]
        if leaked or "BEGIN SOLUTION" in text:
            raise RuntimeError(f"{path.name}: solution text leaked into the student version: {leaked[:3]}")
        shown = _leaks.notebook_leaks(nb, student, max_run=max_run)
        if shown:
            raise RuntimeError(f"{path.name}: a check cell shows solution code (more than {max_run} consecutive "
                               f"tokens):\n" + "\n".join(f"  {leak}" for leak in shown))
        target = output / path.name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def grade(submission: Path, timeout: int = 60) -> tuple[float, float, list[tuple[str, float, float]]]:
    """Grade one submission (see :mod:`course_utils._grading`): ``(score, max_score, rows)``.

    Each row is ``(grade_id, earned, points)``; ``timeout`` is the limit per exercise, in seconds.
    """
    _workbook()._require("nbclient", "grading")
    from ._grading import grade_submission

    g = grade_submission(Path(submission), reference_dir=_workbook().NOTEBOOK_DIR, timeout=timeout)
    return g.score, g.max_score, [(r.grade_id, r.points, r.max_points) for r in g.results]
