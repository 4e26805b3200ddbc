"""Authoring helpers: build a workbook notebook with the standard cells and nbgrader metadata.

The ``.ipynb`` files in ``notebooks/`` are the source of truth; this module only saves typing when a
notebook is first written. Usage from a scratch script::

    import sys; sys.path.insert(0, "tools")
    from nb import header, objectives, setup, parameters, md, code, solution, check, write
    cells = [header("06", "Gaussian Mixture Models"), objectives([...]), *setup(), parameters(), ...]
    write("notebooks/06-gaussian-mixture-models.ipynb", cells)

Conventions the structure tests enforce:
- cell 0: title ``# NN · Title`` and the Colab badge (stamped by ``python -m course_utils.workbook stamp``);
- a Colab bootstrap cell, an imports cell, a cell tagged ``parameters`` defining FAST, SEED, DEVICE;
- each exercise: a solution cell (nbgrader ``solution``) whose body sits between ``### BEGIN SOLUTION``
  and ``### END SOLUTION`` inside a function, then a locked check cell (nbgrader ``grade`` with points)
  that calls ``cu.exercises.check``;
- no outputs or execution counts are stored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from course_utils import _config  # noqa: E402
from course_utils.workbook import colab_url  # noqa: E402

_counter = {"n": 0}


def _cell(cell_type: str, source: str, metadata: dict | None = None) -> dict:
    _counter["n"] += 1
    cell = {"cell_type": cell_type, "id": f"c{_counter['n']:03d}", "metadata": metadata or {},
            "source": source.strip("\n")}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def md(text: str) -> dict:
    return _cell("markdown", text)


def code(text: str, tags: list[str] | None = None) -> dict:
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
    url = colab_url(Path(filename), _config.REPOSITORY_URL, _config.BRANCH)
    return md(f"# {number} · {title}\n\n"
              f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})")


def objectives(items: list[str], minutes: int | None = None) -> dict:
    bullets = "\n".join(f"- {item}" for item in items)
    time_note = f"\n\n*Time: about {minutes} minutes.*" if minutes else ""
    return md(f"## Learning objectives\n\nBy the end of this notebook you will be able to:\n\n{bullets}"
              f"{time_note}")


SETUP_COLAB = f'''# Colab only: fetch the workbook and install what Colab lacks. Elsewhere this cell does nothing.
import os
import sys

REPO_URL = "{_config.REPOSITORY_URL}"
if "google.colab" in sys.modules and not os.path.isdir("/content/workbook"):
    import subprocess

    subprocess.run(["git", "clone", "-q", "--depth", "1", REPO_URL, "/content/workbook"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", "/content/workbook",
                    "hmmlearn", "palmerpenguins", "vega_datasets"], check=True)
if "google.colab" in sys.modules:
    sys.path.insert(0, "/content/workbook")'''

PARAMETERS = '''# Parameters (papermill overrides them; otherwise they come from the environment).
FAST = cu.env_flag("WORKBOOK_FAST", False)  # True: small data and few epochs, for a quick run
SEED = int(os.environ.get("WORKBOOK_SEED", "0"))
DEVICE = os.environ.get("WORKBOOK_DEVICE", "auto")  # "auto", "cpu", "cuda" or "mps"'''


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
    nb = {"cells": cells,
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
