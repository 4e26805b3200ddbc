"""The workbook runner: execute notebooks, build HTML, write student releases, grade, stamp URLs.

Command line (``python -m course_utils.workbook --help``)::

    run [NOTEBOOK ...] [--fast] [--seed N] [--device auto|cpu|cuda|mps] [--output build] [--jobs N]
    list
    student [--output build/student]
    grade SUBMISSION.ipynb [...] [--output build/grades] [--timeout 60] [--jobs N]
    release [NOTEBOOK ...] [--output build/nbgrader] [--no-validate]
    stamp [--url URL] [--branch BRANCH]

A NOTEBOOK may be a path or a prefix of a file name in ``notebooks/`` ("01", "06-gaussian").

Running, HTML export and grading need the ``notebooks`` extra (papermill, nbconvert, nbclient,
ipykernel: ``pip install -e ".[notebooks]"``, which ``make venv`` does); listing, the student release
and stamping need only the standard library. The standard setup cells every notebook carries,
:data:`SETUP_COLAB` and :data:`PARAMETERS`, are defined here, beside the code that stamps them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import _config, _html
from ._release import (  # noqa: F401  (re-exported: the student release and grading)
    HIDDEN_RE,
    SOLUTION_RE,
    _source,
    grade,
    make_student_version,
    solution_snippets,
    write_student_versions,
)
from .runtime import ONE_THREAD_ENV, QUIET_KERNEL

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
REPO_LINE_RE = re.compile(r'^REPO_URL = ".*"$', re.M)

# ---------------------------------------------------------------- the standard setup cells

#: The Colab bootstrap cell: clones the repository and installs the package only on Colab.
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

#: The cell tagged ``parameters``: papermill overrides it, otherwise the environment decides.
PARAMETERS = '''# Parameters (papermill overrides them; otherwise they come from the environment).
FAST = cu.env_flag("WORKBOOK_FAST", False)  # True: small data and few epochs, for a quick run
SEED = int(os.environ.get("WORKBOOK_SEED", "0"))
DEVICE = os.environ.get("WORKBOOK_DEVICE", "auto")  # "auto", "cpu", "cuda" or "mps"'''


class MissingExtraError(ImportError):
    """A package of the ``notebooks`` extra is needed but not installed."""


def _require(module: str, purpose: str):
    """Import ``module`` or say which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = "instructor" if module == "nbgrader" else "notebooks"
        raise MissingExtraError(
            f"{purpose} needs {module!r}, which is not installed; it comes with the workbook's "
            f"'{extra}' extra: pip install -e \".[{extra}]\" (`make venv` installs it)") from exc


# ---------------------------------------------------------------- finding notebooks


def list_notebooks() -> list[Path]:
    """The workbook's notebooks in course order (``notebooks/NN-*.ipynb``)."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))


def resolve(names: list[str]) -> list[Path]:
    """Turn paths or file-name prefixes into notebook paths; raise ``SystemExit`` for unknown names."""
    if not names:
        return list_notebooks()
    found = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.exists():
            found.append(path.resolve())
            continue
        matches = [p for p in list_notebooks() if p.name.startswith(name)]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in list_notebooks())
            raise SystemExit(f"notebook {name!r} matches {len(matches)} notebooks; known: {known}")
        found.append(matches[0])
    return found


def notebook_title(path: Path) -> str:
    """The text of the first markdown heading."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


# ---------------------------------------------------------------- running


@dataclass
class RunResult:
    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    message: str = ""


def default_jobs() -> int:
    """Notebooks to run at once by default: two, or one on a single-core machine."""
    return max(1, min(2, os.cpu_count() or 1))


def _execute(pm, path: Path, output: Path, params: dict, progress: bool) -> RunResult:
    executed = output / "notebooks" / path.name
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(path), str(executed), parameters=params, cwd=str(path.parent),
                            kernel_name="python3", progress_bar=progress, extra_arguments=QUIET_KERNEL)
        status, message = "ok", ""
    except Exception as exc:  # report and go on: one broken notebook must not hide the others
        status, message = "failed", str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else ""
    seconds = time.perf_counter() - start
    if executed.exists():
        _html.to_html(executed, output / "html" / f"{path.stem}.html")
    return RunResult(path.name, status, seconds, message)


def run(notebooks: list[Path], *, fast: bool = False, seed: int = 0, device: str = "auto",
        output: Path = ROOT / "build", progress: bool = True, jobs: int | None = None) -> list[RunResult]:
    """Execute notebooks with papermill, write executed copies and HTML pages, return the results.

    Parameters
    ----------
    notebooks : list of Path
    fast, seed, device
        The notebooks' ``FAST``, ``SEED`` and ``DEVICE`` parameters.
    output : Path
        Gets ``notebooks/`` (executed copies), ``html/`` and ``index.html``.
    progress : bool
        Papermill's per-cell progress bar (only when one notebook runs at a time).
    jobs : int, optional
        Notebooks executed at once (default :func:`default_jobs`). With more than one, every kernel
        gets one BLAS/torch thread (:data:`ONE_THREAD_ENV`); results keep the notebooks' order.

    Raises
    ------
    MissingExtraError
        When papermill or nbconvert (the ``notebooks`` extra) is not installed.
    """
    from concurrent.futures import ThreadPoolExecutor

    pm = _require("papermill", "running notebooks")
    _require("nbconvert", "writing HTML")  # fail before the first notebook, not after it
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer (got {jobs!r})")
    os.environ["WORKBOOK_UNATTENDED"] = "1"  # the kernels inherit it: no progress bars in the outputs
    # papermill changes the process's working directory while a notebook runs, so with several at once a
    # relative path would resolve inside notebooks/: make every path absolute first
    output = Path(output).resolve()
    notebooks = [Path(p).resolve() for p in notebooks]
    if jobs > 1:
        os.environ.update(ONE_THREAD_ENV)
    params = {"FAST": fast, "SEED": seed, "DEVICE": device}
    (output / "notebooks").mkdir(parents=True, exist_ok=True)
    (output / "html").mkdir(parents=True, exist_ok=True)

    def one(path: Path) -> RunResult:
        result = _execute(pm, path, output, params, progress and jobs == 1)
        print(f"{result.notebook}: {result.status} in {result.seconds:.1f} s", flush=True)
        return result

    print(f"executing {len(notebooks)} notebook(s), {jobs} at a time ...", flush=True)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, notebooks))
    index = _html.write_index(results, output, params, NOTEBOOK_DIR, output / "student")
    print(format_table(results))
    print(f"wall time {time.perf_counter() - start:.1f} s with {jobs} at a time")
    print(f"HTML: {index}")
    return results


def format_table(results: list[RunResult]) -> str:
    """A plain-text table of each notebook's status and seconds."""
    width = max([len(r.notebook) for r in results] + [8])
    lines = [f"{'notebook':<{width}}  status  seconds", "-" * (width + 17)]
    for r in results:
        lines.append(f"{r.notebook:<{width}}  {r.status:<6}  {r.seconds:7.1f}")
        if r.message:
            lines.append(f"{'':<{width}}  {r.message}")
    total = sum(r.seconds for r in results)
    failed = sum(r.status != "ok" for r in results)
    lines.append("-" * (width + 17))
    lines.append(f"{len(results)} notebooks, {failed} failed, {total:.1f} s in all")
    return "\n".join(lines)


# ---------------------------------------------------------------- stamping the repository URL


def colab_url(path: Path, url: str, branch: str) -> str:
    repo = url.removeprefix("https://github.com/").rstrip("/")
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{path.name}"


def stamp(url: str = _config.REPOSITORY_URL, branch: str = _config.BRANCH) -> list[Path]:
    """Write the repository URL into every notebook's Colab badge and Colab setup cell."""
    changed = []
    for path in list_notebooks():
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        badge = (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                 f"({colab_url(path, url, branch)})")
        for cell in nb["cells"]:
            src = _source(cell)
            src = BADGE_RE.sub(lambda _m, b=badge: b, src)
            src = REPO_LINE_RE.sub(f'REPO_URL = "{url}"', src)
            cell["source"] = src
        new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.workbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="execute notebooks and build HTML under build/")
    p_run.add_argument("notebooks", nargs="*")
    p_run.add_argument("--fast", action="store_true", help="small data and few epochs (FAST=True)")
    p_run.add_argument("--seed", type=int, default=0)
    p_run.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p_run.add_argument("--output", type=Path, default=ROOT / "build")
    p_run.add_argument("--no-progress", action="store_true")
    p_run.add_argument("--jobs", type=int, default=None,
                       help=f"notebooks to execute at once (default {default_jobs()} here)")
    sub.add_parser("list", help="list the notebooks")
    p_student = sub.add_parser("student", help="write the student release (solutions stubbed)")
    p_student.add_argument("--output", type=Path, default=ROOT / "build" / "student")
    p_grade = sub.add_parser("grade", help="grade submitted notebooks: a CSV table and a feedback page each")
    p_grade.add_argument("submissions", nargs="+", type=Path, help="e.g. submissions/*/06-*.ipynb")
    p_grade.add_argument("--output", type=Path, default=ROOT / "build" / "grades",
                         help="folder for grades.csv and feedback/STUDENT/NOTEBOOK.html")
    p_grade.add_argument("--timeout", type=int, default=60, help="seconds allowed per exercise")
    p_grade.add_argument("--jobs", type=int, default=None, help="submissions graded at once")
    p_release = sub.add_parser("release", help="an nbgrader course directory: sources validated, release generated")
    p_release.add_argument("notebooks", nargs="*", help="prefixes such as 06 (default: all)")
    p_release.add_argument("--output", type=Path, default=ROOT / "build" / "nbgrader")
    p_release.add_argument("--no-validate", action="store_true", help="skip executing each source")
    p_release.add_argument("--jobs", type=int, default=None, help="sources validated at once")
    p_stamp = sub.add_parser("stamp", help="write the repository URL into badges and setup cells")
    p_stamp.add_argument("--url", default=_config.REPOSITORY_URL)
    p_stamp.add_argument("--branch", default=_config.BRANCH)
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except MissingExtraError as exc:
        parser.exit(2, f"error: {exc}\n")


def _dispatch(args) -> int:
    if args.command == "list":
        for path in list_notebooks():
            print(f"{path.stem:<45} {notebook_title(path)}")
        return 0
    if args.command == "run":
        results = run(resolve(args.notebooks), fast=args.fast, seed=args.seed, device=args.device,
                      output=args.output, progress=not args.no_progress, jobs=args.jobs)
        return int(any(r.status != "ok" for r in results))
    if args.command == "student":
        for path in write_student_versions(args.output):
            print(f"wrote {path}")
        return 0
    if args.command == "grade":
        _require("nbclient", "grading")
        from ._grading import grade_class

        start = time.perf_counter()
        grades, refused = grade_class(args.submissions, reference_dir=NOTEBOOK_DIR, timeout=args.timeout,
                                      csv_path=args.output / "grades.csv", feedback_dir=args.output / "feedback",
                                      jobs=args.jobs or default_jobs())
        for g in grades:
            print(f"{g.student:<20} {g.notebook:<45} {g.score:g} / {g.max_score:g}  ({g.seconds:.0f} s)")
        for line in refused:
            print(f"NOT GRADED: {line}")
        print(f"{len(grades)} graded, {len(refused)} refused in {time.perf_counter() - start:.0f} s; "
              f"table {args.output / 'grades.csv'}, feedback in {args.output / 'feedback'}")
        return int(bool(refused))
    if args.command == "release":
        _require("nbgrader", "the nbgrader course directory")
        from ._nbgrader import build_course

        failures = build_course(args.output, resolve(args.notebooks), check=not args.no_validate,
                                jobs=args.jobs or default_jobs())
        for name, failed in failures.items():
            print(f"{name:<45} {'valid' if not failed else 'INVALID: ' + '; '.join(failed)}")
        print(f"nbgrader course directory: {args.output} (release in {args.output / 'release'})")
        return int(any(failures.values()))
    if args.command == "stamp":
        changed = stamp(args.url, args.branch)
        print(f"stamped {len(changed)} notebook(s) with {args.url}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
