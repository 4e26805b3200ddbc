"""The workbook runner: execute notebooks, build HTML, write student releases, grade, stamp URLs.

Command line (``python -m course_utils.workbook --help``)::

    run [NOTEBOOK ...] [--fast] [--seed N] [--device auto|cpu|cuda|mps] [--output build]
    list
    student [--output build/student]
    grade SUBMISSION.ipynb [...]
    stamp [--url URL] [--branch BRANCH]

A NOTEBOOK may be a path or a prefix of a file name in ``notebooks/`` ("01", "06-gaussian").
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import _config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
SOLUTION_RE = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*(\n|$)",
                         re.S | re.M)
HIDDEN_RE = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n.*?^[ \t]*### END HIDDEN TESTS[^\n]*(\n|$)",
                       re.S | re.M)
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
REPO_LINE_RE = re.compile(r'^REPO_URL = ".*"$', re.M)


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


def _to_html(ipynb: Path, html_path: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(ipynb, as_version=4))
    html_path.write_text(body, encoding="utf-8")


def _write_index(results: list[RunResult], out: Path, params: dict) -> Path:
    rows = []
    for r in results:
        stem = Path(r.notebook).stem
        title = html.escape(notebook_title(NOTEBOOK_DIR / f"{stem}.ipynb")
                            if (NOTEBOOK_DIR / f"{stem}.ipynb").exists() else stem)
        colour = "#1a7f37" if r.status == "ok" else "#cf222e"
        rows.append(f'<tr><td><a href="html/{stem}.html">{title}</a></td>'
                    f'<td style="color:{colour}">{r.status}</td><td>{r.seconds:.1f}</td>'
                    f'<td><a href="notebooks/{stem}.ipynb">.ipynb</a></td></tr>')
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Generative Models Workbook</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto}}td,th{{padding:.3em .8em;text-align:left}}
</style></head><body><h1>Generative Models Workbook</h1>
<p>Executed {time.strftime('%Y-%m-%d %H:%M')} with {html.escape(json.dumps(params))}.</p>
<table><tr><th>Notebook</th><th>Status</th><th>Seconds</th><th>Executed</th></tr>{''.join(rows)}</table>
</body></html>"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def run(notebooks: list[Path], *, fast: bool = False, seed: int = 0, device: str = "auto",
        output: Path = ROOT / "build", progress: bool = True) -> list[RunResult]:
    """Execute notebooks with papermill, write executed copies and HTML pages, return the results."""
    import papermill as pm

    os.environ["WORKBOOK_UNATTENDED"] = "1"  # the kernels inherit it: no progress bars in the outputs
    params = {"FAST": fast, "SEED": seed, "DEVICE": device}
    (output / "notebooks").mkdir(parents=True, exist_ok=True)
    (output / "html").mkdir(parents=True, exist_ok=True)
    results = []
    for i, path in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {path.name} ...", flush=True)
        executed = output / "notebooks" / path.name
        start = time.perf_counter()
        try:
            pm.execute_notebook(str(path), str(executed), parameters=params, cwd=str(path.parent),
                                kernel_name="python3", progress_bar=progress)
            status, message = "ok", ""
        except Exception as exc:  # report and go on: one broken notebook must not hide the others
            status, message = "failed", str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else ""
        seconds = time.perf_counter() - start
        if executed.exists():
            _to_html(executed, output / "html" / f"{path.stem}.html")
        results.append(RunResult(path.name, status, seconds, message))
    index = _write_index(results, output, params)
    print(format_table(results))
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


# ---------------------------------------------------------------- student release


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


def write_student_versions(output: Path, notebooks: list[Path] | None = None) -> list[Path]:
    """Write the student release of each notebook to ``output`` and check that no solution leaked."""
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks or list_notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        student = make_student_version(nb)
        text = json.dumps(student, indent=1, ensure_ascii=False) + "\n"
        leaked = [s for s in solution_snippets(nb) if s in text]
        if leaked or "BEGIN SOLUTION" in text:
            raise RuntimeError(f"{path.name}: solution text leaked into the student version: {leaked[:3]}")
        target = output / path.name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


# ---------------------------------------------------------------- grading


def grade(submission: Path, timeout: int = 600) -> tuple[float, float, list[tuple[str, float, float]]]:
    """Grade a student's notebook: restore the instructor's check cells, run it under grading, score.

    Check cells (nbgrader ``grade: true`` with ``points``) are replaced by the instructor's version of
    the same ``grade_id`` (hidden tests included), the notebook is executed with
    ``WORKBOOK_GRADING=1`` so a wrong or missing answer raises, and each check cell that runs without
    an error earns its points.

    Returns
    -------
    (score, max_score, rows) with one ``(grade_id, earned, points)`` row per check cell.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(submission, as_version=4)
    source_path = NOTEBOOK_DIR / submission.name
    if not source_path.exists():
        raise SystemExit(f"no instructor notebook named {submission.name} in {NOTEBOOK_DIR}")
    reference = nbformat.read(source_path, as_version=4)
    checks = {c.metadata["nbgrader"]["grade_id"]: c for c in reference.cells
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in checks:
            cell.source = checks[gid].source
    env_before = os.environ.get("WORKBOOK_GRADING")
    os.environ.update(WORKBOOK_GRADING="1", WORKBOOK_UNATTENDED="1")
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop("WORKBOOK_GRADING", None)
        else:
            os.environ["WORKBOOK_GRADING"] = env_before
    rows = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and meta.get("grade_id") in checks:
            points = float(meta.get("points", 0))
            failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            rows.append((meta["grade_id"], 0.0 if failed else points, points))
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


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
    sub.add_parser("list", help="list the notebooks")
    p_student = sub.add_parser("student", help="write the student release (solutions stubbed)")
    p_student.add_argument("--output", type=Path, default=ROOT / "build" / "student")
    p_grade = sub.add_parser("grade", help="grade submitted notebooks")
    p_grade.add_argument("submissions", nargs="+", type=Path)
    p_stamp = sub.add_parser("stamp", help="write the repository URL into badges and setup cells")
    p_stamp.add_argument("--url", default=_config.REPOSITORY_URL)
    p_stamp.add_argument("--branch", default=_config.BRANCH)
    args = parser.parse_args(argv)

    if args.command == "list":
        for path in list_notebooks():
            print(f"{path.stem:<45} {notebook_title(path)}")
        return 0
    if args.command == "run":
        results = run(resolve(args.notebooks), fast=args.fast, seed=args.seed, device=args.device,
                      output=args.output, progress=not args.no_progress)
        return int(any(r.status != "ok" for r in results))
    if args.command == "student":
        for path in write_student_versions(args.output):
            print(f"wrote {path}")
        return 0
    if args.command == "grade":
        for submission in args.submissions:
            score, total, rows = grade(submission)
            print(f"{submission.name}: {score:g} / {total:g}")
            for gid, earned, points in rows:
                print(f"  {gid:<40} {earned:g} / {points:g}")
        return 0
    if args.command == "stamp":
        changed = stamp(args.url, args.branch)
        print(f"stamped {len(changed)} notebook(s) with {args.url}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
