"""An nbgrader course directory built from ``notebooks/``, and nbgrader's own grading of submissions.

``make release`` (``python -m course_utils.workbook release``) calls :func:`build_course`: each
notebook becomes an assignment of the same name (``source/NN-name/NN-name.ipynb``), every source is
validated with nbgrader's :class:`~nbgrader.validator.Validator` (which, unlike ``nbgrader validate``,
reports failures to the caller), and ``nbgrader generate_assignment`` writes ``release/``. The course's
``nbgrader_config.py`` sets ``WORKBOOK_GRADING=1`` (a wrong or missing answer makes its check cell
fail), ``WORKBOOK_FAST=1`` (exercises do not depend on the training budget) and puts this environment's
``bin/`` on ``PATH`` (nbgrader runs ``alembic``), so the usual nbgrader commands work in that folder:
``nbgrader collect``, ``nbgrader autograde NN-name``, ``nbgrader generate_feedback NN-name``,
``nbgrader export``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

from .runtime import ONE_THREAD_ENV

COURSE_ID = "generative-models-workbook"
#: What the notebooks read while nbgrader executes them (validation, autograding).
GRADING_ENV = {"WORKBOOK_GRADING": "1", "WORKBOOK_FAST": "1", "WORKBOOK_UNATTENDED": "1", "MPLBACKEND": "Agg"}
CELL_TIMEOUT = 300

_CONFIG = '''"""nbgrader configuration of the {course} course directory (written by `make release`)."""
import os

# The notebooks raise on a wrong or missing answer only under grading, and grade in their quick mode.
for name, value in {env!r}.items():
    os.environ.setdefault(name, value)
# nbgrader runs `alembic` to set up its database: use the one installed beside this Python.
os.environ["PATH"] = {bin_dir!r} + os.pathsep + os.environ.get("PATH", "")

c = get_config()  # noqa: F821 (defined by nbgrader when it loads this file)
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
c.Execute.timeout = {timeout}
'''


def _api(root: Path, students=()):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = COURSE_ID
    config.Execute.timeout = CELL_TIMEOUT
    if students:
        config.CourseDirectory.db_students = [{"id": s} for s in students]
    return NbGraderAPI(config=config)


@contextlib.contextmanager
def grading_environment():
    """``GRADING_ENV`` set and this environment's ``bin/`` on ``PATH`` for the duration."""
    saved = {k: os.environ.get(k) for k in (*GRADING_ENV, "PATH")}
    os.environ.update(GRADING_ENV)
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def write_config(root: Path) -> Path:
    path = Path(root) / "nbgrader_config.py"
    path.write_text(_CONFIG.format(course=COURSE_ID, env=GRADING_ENV, bin_dir=str(Path(sys.executable).parent),
                                   root=str(Path(root).resolve()), timeout=CELL_TIMEOUT), encoding="utf-8")
    return path


def validate(path: Path) -> list[str]:
    """nbgrader's Validator on one notebook: the failing cells' first lines (empty when it passes)."""
    from nbgrader.validator import Validator

    with grading_environment():
        result = Validator().validate(str(path))
    return [next(iter(f.get("source", "").splitlines()), "") for f in result.get("failed", [])] + \
        [f"changed: {c.get('source', '')[:60]}" for c in result.get("changed", [])]


def _validate_one_thread(path: Path) -> list[str]:
    """:func:`validate` in a worker process whose kernel gets one BLAS/torch thread."""
    os.environ.update(ONE_THREAD_ENV)
    return validate(path)


def build_course(root: Path, notebooks: list[Path], *, check: bool = True, jobs: int = 1) -> dict[str, list[str]]:
    """Copy ``notebooks`` into ``root/source``, validate each (``check``), generate ``root/release``.

    ``jobs`` sources are validated at once, each in its own process (nbgrader's Validator sets and removes
    an environment variable of its own, so two cannot share a process) and each kernel with one BLAS/torch
    thread when ``jobs > 1``.
    Returns the validation failures per assignment (empty lists when every source passes). Raises
    ``RuntimeError`` when nbgrader cannot generate an assignment.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer (got {jobs!r})")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    write_config(root)
    targets = []
    for nb in notebooks:
        target = root / "source" / nb.stem / nb.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(nb, target)
        targets.append(target)
    if not check:
        found = [[] for _ in targets]
    elif jobs == 1:
        found = [validate(t) for t in targets]
    else:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            found = list(pool.map(_validate_one_thread, targets))
    failures = {nb.stem: f for nb, f in zip(notebooks, found)}
    api = _api(root)
    with grading_environment():
        for nb in notebooks:
            result = api.generate_assignment(nb.stem, force=True)
            if not result["success"]:
                raise RuntimeError(f"nbgrader generate_assignment {nb.stem} failed:\n{result['log'][-2000:]}")
    return failures


def autograde(root: Path, assignment: str, student: str) -> tuple[float, float, dict[str, float]]:
    """nbgrader's autograde of ``root/submitted/<student>/<assignment>``: (score, max, score per grade cell)."""
    from nbgrader.api import Gradebook

    api = _api(Path(root), students=[student])
    with grading_environment():
        result = api.autograde(assignment, student, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader autograde {assignment} {student} failed:\n{result['log'][-2000:]}")
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        cells = {g.name: g.score for nb in submission.notebooks for g in nb.grades if g.max_score}
        return float(submission.score), float(submission.max_score), cells
