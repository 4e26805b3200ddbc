"""The runner's pieces: student release, leak check, grading, URL stamping, notebook lookup."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from course_utils import _authoring as authoring
from course_utils import _config, workbook

SOLUTION = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    result = 2 * x  # the secret solution line
    return result
    ### END SOLUTION'''

CHECK = '''double = cu.exercises.check(double, lambda x: 2 * x, cases=[(1,), (2.5,)])
### BEGIN HIDDEN TESTS
assert double(-3) == -6, "hidden test on negatives"
### END HIDDEN TESTS'''


def tiny_notebook(path: Path) -> Path:
    cells = [authoring.header("98", "Tiny", path.name), *authoring.setup(), *authoring.parameters(),
             authoring.solution(SOLUTION, "ex-double"), authoring.check(CHECK, "ex-double-check", 3),
             authoring.code("print(double(4))")]
    authoring.write(str(path), cells)
    return path


@pytest.fixture
def notebook_dir(tmp_path, monkeypatch):
    src = tmp_path / "notebooks"
    src.mkdir()
    tiny_notebook(src / "98-tiny.ipynb")
    monkeypatch.setattr(workbook, "NOTEBOOK_DIR", src)
    return src


def test_student_version_stubs_solutions_and_drops_hidden_tests(notebook_dir, tmp_path):
    out = workbook.write_student_versions(tmp_path / "student")[0]
    text = out.read_text()
    cells = json.loads(text)["cells"]
    sol = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "ex-double")
    assert sol["source"] == ('def double(x):\n    """Twice x."""\n    # YOUR CODE HERE\n'
                             '    raise NotImplementedError()\n')
    assert "secret solution line" not in text and "hidden test" not in text
    check = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "ex-double-check")
    assert check["source"].startswith("double = cu.exercises.check")
    assert check["metadata"]["nbgrader"]["points"] == 3


def test_leak_check_catches_solution_text(notebook_dir, tmp_path, monkeypatch):
    from course_utils import _release

    monkeypatch.setattr(_release, "make_student_version", lambda nb: nb)  # a broken release step
    with pytest.raises(RuntimeError, match="leaked"):
        workbook.write_student_versions(tmp_path / "student")


def test_markdown_solution_becomes_answer_placeholder():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {},
                     "source": "Why?\n### BEGIN SOLUTION\nBecause each step minimises J.\n### END SOLUTION\n"}]}
    assert workbook.make_student_version(nb)["cells"][0]["source"] == "Why?\nYOUR ANSWER HERE\n"


def test_grading_scores_unattempted_zero_and_solution_full(notebook_dir, tmp_path):
    student = workbook.write_student_versions(tmp_path / "student")[0]
    score, total, rows = workbook.grade(student, timeout=120)
    assert (score, total) == pytest.approx((0.0, 3.0)) and [r[0] for r in rows] == ["ex-double-check"]
    assert rows[0][1:] == pytest.approx((0.0, 3.0))
    score, total, _ = workbook.grade(notebook_dir / "98-tiny.ipynb", timeout=120)
    assert (score, total) == pytest.approx((3.0, 3.0))


def test_grading_restores_tampered_check_cells(notebook_dir, tmp_path):
    nb = json.loads((notebook_dir / "98-tiny.ipynb").read_text())
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id") == "ex-double":
            cell["source"] = "def double(x):\n    return 2 * x if x > 0 else 0\n"  # fails the hidden test
        if meta.get("grade_id") == "ex-double-check":
            cell["source"] = "pass  # a student emptied the check"
    sub = tmp_path / "sub" / "98-tiny.ipynb"
    sub.parent.mkdir()
    sub.write_text(json.dumps(nb))
    score, total, _ = workbook.grade(sub, timeout=120)
    assert (score, total) == pytest.approx((0.0, 3.0))


def test_stamp_rewrites_badge_and_setup_cell(notebook_dir):
    url = "https://github.com/someone/fork"
    assert workbook.stamp(url, "dev") == [notebook_dir / "98-tiny.ipynb"]
    text = (notebook_dir / "98-tiny.ipynb").read_text()
    assert "colab.research.google.com/github/someone/fork/blob/dev/notebooks/98-tiny.ipynb" in text
    assert f'REPO_URL = \\"{url}\\"' in text
    assert _config.REPOSITORY_URL not in text
    assert workbook.stamp(url, "dev") == []  # idempotent


def test_resolve_by_prefix_and_unknown_names(notebook_dir):
    assert workbook.resolve(["98"]) == [notebook_dir / "98-tiny.ipynb"]
    with pytest.raises(SystemExit, match="matches 0 notebooks"):
        workbook.resolve(["77"])


def test_format_table_counts_failures():
    table = workbook.format_table([workbook.RunResult("01-a.ipynb", "ok", 1.0),
                                   workbook.RunResult("02-b.ipynb", "failed", 2.5, "boom")])
    assert "2 notebooks, 1 failed, 3.5 s in all" in table and "boom" in table


def test_run_executes_and_builds_html(notebook_dir, tmp_path):
    results = workbook.run([notebook_dir / "98-tiny.ipynb"], fast=True, output=tmp_path / "build",
                           progress=False)
    assert [r.status for r in results] == ["ok"]
    executed = json.loads((tmp_path / "build" / "notebooks" / "98-tiny.ipynb").read_text())
    outputs = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                      for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"])
    assert "FAST=True" in outputs and "8" in outputs
    assert (tmp_path / "build" / "html" / "98-tiny.html").stat().st_size > 1000
    assert "98-tiny.html" in (tmp_path / "build" / "index.html").read_text()


def test_parallel_run_with_a_relative_output_folder(notebook_dir, tmp_path, monkeypatch):
    # papermill changes the working directory while a notebook runs: with two at once a relative
    # output folder must still land where it was asked for
    import shutil

    shutil.copy(notebook_dir / "98-tiny.ipynb", notebook_dir / "99-tiny.ipynb")
    monkeypatch.chdir(tmp_path)
    results = workbook.run([notebook_dir / "98-tiny.ipynb", notebook_dir / "99-tiny.ipynb"], fast=True,
                           output=Path("relative-build"), progress=False, jobs=2)
    assert [(r.notebook, r.status) for r in results] == [("98-tiny.ipynb", "ok"), ("99-tiny.ipynb", "ok")]
    assert sorted(p.name for p in (tmp_path / "relative-build" / "notebooks").iterdir()) == [
        "98-tiny.ipynb", "99-tiny.ipynb"]
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        workbook.run([notebook_dir / "98-tiny.ipynb"], output=tmp_path / "b", jobs=0)


def test_setup_cell_templates_live_in_the_package():
    assert f'REPO_URL = "{_config.REPOSITORY_URL}"' in workbook.SETUP_COLAB
    assert workbook.REPO_LINE_RE.search(workbook.SETUP_COLAB)  # `stamp` can rewrite it
    assert 'FAST = cu.env_flag("WORKBOOK_FAST", False)' in workbook.PARAMETERS
    cells = authoring.setup() + authoring.parameters()
    assert cells[0]["source"] == workbook.SETUP_COLAB and cells[2]["source"] == workbook.PARAMETERS
    assert cells[2]["metadata"] == {"tags": ["parameters"]}


def test_tools_nb_re_exports_the_builders():
    path = Path(__file__).resolve().parent.parent / "tools" / "nb.py"
    spec = importlib.util.spec_from_file_location("tools_nb", path)
    nb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nb)  # loaded from its file: no sys.path edit
    assert nb.SETUP_COLAB is workbook.SETUP_COLAB and nb.setup is authoring.setup
    assert set(nb.__all__) == set(authoring.__all__)


@pytest.mark.parametrize("module", ["papermill", "nbconvert"])
def test_run_without_the_notebooks_extra_names_it(module, notebook_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    with pytest.raises(workbook.MissingExtraError, match=r"'notebooks' extra: pip install -e \"\.\[notebooks\]\""):
        workbook.run([notebook_dir / "98-tiny.ipynb"], output=tmp_path / "build", progress=False)
    assert not (tmp_path / "build" / "notebooks" / "98-tiny.ipynb").exists()
    with pytest.raises(SystemExit) as exit_info:
        workbook.main(["run", "98", "--output", str(tmp_path / "build")])
    assert exit_info.value.code == 2
    assert f"needs '{module}'" in capsys.readouterr().err


def test_grade_without_nbclient_names_the_extra(notebook_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "nbclient", None)
    with pytest.raises(workbook.MissingExtraError, match="grading needs 'nbclient'"):
        workbook.grade(notebook_dir / "98-tiny.ipynb")
