"""Every notebook follows the workbook's layout (STYLE.md, rule 11) and carries graded exercises."""

import json
import re

import pytest

from course_utils import _config
from course_utils.workbook import (
    PARAMETERS,
    SETUP_COLAB,
    SOLUTION_RE,
    colab_url,
    list_notebooks,
    make_student_version,
)

NOTEBOOKS = list_notebooks()
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/home/|/root/|/work/|/Users/|/tmp/|[A-Z]:\\\\)")


def source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(numbers) == len(set(numbers)), "two notebooks share a number"


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param, load(request.param)


def test_title_and_colab_badge(notebook):
    path, nb = notebook
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    assert source(first).startswith(f"# {path.name[:2]} · ")
    assert colab_url(path, _config.REPOSITORY_URL, _config.BRANCH) in source(first), \
        "badge URL is stale: run `make stamp`"


def test_setup_and_parameters_cells(notebook):
    path, nb = notebook
    sources = [source(c) for c in nb["cells"]]
    assert SETUP_COLAB in sources, "the Colab bootstrap cell differs from course_utils.workbook.SETUP_COLAB"
    imports = next(i for i, s in enumerate(sources) if "import course_utils as cu" in s)
    params = [i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1, "exactly one cell must be tagged 'parameters'"
    assert imports < params[0]
    assert sources[params[0]] == PARAMETERS
    assert "cu.seed_everything(SEED)" in sources[params[0] + 1]


def test_no_outputs_and_no_execution_counts(notebook):
    _, nb = notebook
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_no_absolute_paths(notebook):
    _, nb = notebook
    for cell in nb["cells"]:
        text = source(cell)
        if text == SETUP_COLAB:
            continue
        assert not ABSOLUTE_PATH.search(text), f"absolute path in cell: {text[:80]!r}"


def test_sections_present(notebook):
    _, nb = notebook
    headings = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    for title in ("## Learning objectives", "## Summary", "## Check your understanding"):
        assert title in headings, f"missing section {title!r}"
    assert "$" in headings, "no maths in the prose"


def test_exercises_are_marked_for_nbgrader(notebook):
    _, nb = notebook
    solutions, checks, ids = [], [], []
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if not meta:
            assert "### BEGIN SOLUTION" not in source(cell), "solution region outside a solution cell"
            continue
        ids.append(meta["grade_id"])
        if meta.get("solution"):
            solutions.append(cell)
        if meta.get("grade") and not meta.get("solution"):  # an autograded check (not a written answer)
            checks.append(cell)
            assert meta.get("locked") is True and meta.get("points", 0) > 0
            assert "cu.exercises.check" in source(cell)
    assert len(ids) == len(set(ids)), "grade_id values must be unique"
    assert len([c for c in solutions if c["cell_type"] == "code"]) >= 3, "at least three graded exercises"
    assert len(checks) >= 3
    for cell in solutions:
        if cell["cell_type"] != "code":
            continue
        regions = list(SOLUTION_RE.finditer(source(cell)))
        assert regions, "a solution cell without ### BEGIN SOLUTION / ### END SOLUTION"
        # the stub must sit inside a function, so that an unattempted exercise does not stop the notebook
        assert all(m.group(1) for m in regions), "solution regions must be indented inside a def"


def test_kernel_is_plain_python3(notebook):
    _, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


DEFINES_FUNCTION = re.compile(r"^\s*def \w|\blambda\b")


def test_check_cells_define_no_functions(notebook):
    """STYLE.md rule 17: a check cell calls references from course_utils, it never spells one out."""
    path, nb = notebook
    found = []
    for index, cell in enumerate(nb["cells"]):
        meta = cell["metadata"].get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        for lineno, line in enumerate(source(cell).splitlines(), 1):
            if DEFINES_FUNCTION.search(line):
                found.append(f"cell {index} ({meta.get('grade_id')}), line {lineno}: {line.strip()}")
    assert not found, (f"{path.name}: check cells define functions; move them to course_utils.exercises "
                       "(or the topic module) and call cu.exercises.<name>:\n  " + "\n  ".join(found))


ANSWERS_HEADING = "**Your answers** (the instructor version holds model answers here)"


def test_model_answers_are_for_instructors_only(notebook):
    path, nb = notebook
    number = path.name[:2]
    cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == f"{number}-answers"]
    assert len(cells) == 1, f"{path.name}: expected one markdown cell with grade_id {number}-answers"
    cell = cells[0]
    meta = cell["metadata"]["nbgrader"]
    source = "".join(cell["source"])
    assert cell["cell_type"] == "markdown" and meta["solution"] and meta["grade"] and meta["points"] == 0, path.name
    assert source.startswith(ANSWERS_HEADING + "\n### BEGIN SOLUTION\n"), f"{path.name}: answers cell heading"
    assert source.rstrip().endswith("### END SOLUTION"), f"{path.name}: answers must end the solution region"
    questions = [c for c in nb["cells"] if "Check your understanding" in "".join(c["source"])]
    assert questions and nb["cells"].index(cell) == nb["cells"].index(questions[-1]) + 1, \
        f"{path.name}: the answers cell must follow the questions"
    release = json.dumps(make_student_version(nb))
    assert "<details>" not in release and "### BEGIN SOLUTION" not in release, path.name
