"""Cell builders for writing a new workbook notebook with the standard cells and nbgrader metadata.

``tools/nb.py`` re-exports these for authors; the tests build small notebooks with them. The
``.ipynb`` files in ``notebooks/`` are the source of truth: this only saves typing when a notebook is
first written. The standard setup cells themselves are :data:`course_utils.workbook.SETUP_COLAB` and
:data:`course_utils.workbook.PARAMETERS`.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import _config
from .workbook import PARAMETERS, SETUP_COLAB, colab_url

__all__ = ["SETUP_COLAB", "PARAMETERS", "md", "code", "solution", "check", "answer", "header", "objectives",
           "setup", "parameters", "write"]

_counter = {"n": 0}


def _cell(cell_type: str, source: str, metadata: dict | None = None) -> dict:
    _counter["n"] += 1
    cell = {"cell_type": cell_type, "id": f"c{_counter['n']:03d}", "metadata": metadata or {},
            "source": source.strip("\n")}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def md(text: str) -> dict:
    """A markdown cell."""
    return _cell("markdown", text)


def code(text: str, tags: list[str] | None = None) -> dict:
    """A code cell, optionally tagged (e.g. ``["parameters"]``)."""
    return _cell("code", text, {"tags": tags} if tags else None)


def solution(text: str, grade_id: str) -> dict:
    """A cell the student edits: nbgrader 'Autograded answer'."""
    meta = {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
                         "solution": True, "task": False}}
    return _cell("code", text, meta)


def check(text: str, grade_id: str, points: int = 1) -> dict:
    """A locked cell that checks the answer: nbgrader 'Autograder tests'."""
    meta = {"nbgrader": {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                         "schema_version": 3, "solution": False, "task": False}}
    return _cell("code", text, meta)


def answer(text: str, grade_id: str, points: int = 1) -> dict:
    """A markdown cell for a written answer: nbgrader 'Manually graded answer' (a person marks it).

    Put the model answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the student release
    shows ``YOUR ANSWER HERE`` instead.
    """
    meta = {"nbgrader": {"grade": True, "grade_id": grade_id, "locked": False, "points": points,
                         "schema_version": 3, "solution": True, "task": False}}
    return _cell("markdown", text, meta)


def header(number: str, title: str, filename: str) -> dict:
    """The title cell ``# NN · Title`` with the Colab badge for ``filename``."""
    url = colab_url(Path(filename), _config.REPOSITORY_URL, _config.BRANCH)
    return md(f"# {number} · {title}\n\n"
              f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})")


def objectives(items: list[str], minutes: int | None = None) -> dict:
    """The learning-objectives cell, one bullet per item."""
    bullets = "\n".join(f"- {item}" for item in items)
    time_note = f"\n\n*Time: about {minutes} minutes.*" if minutes else ""
    return md(f"## Learning objectives\n\nBy the end of this notebook you will be able to:\n\n{bullets}"
              f"{time_note}")


def setup(imports: str = "") -> list[dict]:
    """The Colab bootstrap cell and the imports cell (add notebook-specific imports)."""
    base = "import os\n\nimport numpy as np\nimport matplotlib.pyplot as plt\n\nimport course_utils as cu"
    extra = imports.strip()
    return [code(SETUP_COLAB), code(base + ("\n" + extra if extra else ""))]


def parameters() -> list[dict]:
    """The papermill ``parameters`` cell and the cell that seeds and picks the device from it."""
    return [code(PARAMETERS, tags=["parameters"]),
            code('cu.seed_everything(SEED)\ndevice = cu.get_device(DEVICE)\nprint(f"FAST={FAST}, '
                 'SEED={SEED}, device={device}")')]


def write(path: str, cells: list[dict]) -> None:
    """Save ``cells`` as a notebook (no outputs, the workbook's JSON layout)."""
    nb = {"cells": cells,
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
