"""The built HTML pages need no network: MathJax from a local copy, no remote scripts, styles or images."""

from pathlib import Path

import nbformat
import pytest

from course_utils import _html, workbook

NOTEBOOKS = sorted(Path(workbook.NOTEBOOK_DIR).glob("[0-9][0-9]-*.ipynb"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Every notebook (unexecuted: the template, markdown and badge are what matter) as a built page."""
    html_dir = tmp_path_factory.mktemp("html")
    return {p.stem: _html.to_html(p, html_dir / f"{p.stem}.html") for p in NOTEBOOKS}


def test_no_built_page_references_an_external_resource(pages):
    for stem, page in pages.items():
        assert _html.external_resources(page.read_text(encoding="utf-8")) == [], stem


def test_pages_load_mathjax_from_the_copy_beside_them(pages):
    for page in pages.values():
        text = page.read_text(encoding="utf-8")
        assert 'src="mathjax/MathJax.js?config=' in text
        assert "Open in Colab" in text and "colab-badge.svg" not in text
    assert (next(iter(pages.values())).parent / "mathjax" / "MathJax.js").is_file()


def test_a_page_with_an_image_output_stays_offline(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T\n\n$$\\min_G \\max_D V(D, G)$$"),
                nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
                    "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})])]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    text = _html.to_html(path, tmp_path / "t.html").read_text(encoding="utf-8")
    assert _html.external_resources(text) == []
    assert "data:image/png;base64,iVBORw0KGgo=" in text and "\\min_G \\max_D" in text


@pytest.mark.parametrize("snippet", [
    '<script src="https://cdn.example.org/x.js"></script>',
    "<link rel='stylesheet' href='//fonts.example.org/css'>",
    '<img alt="badge" src="https://example.org/badge.svg">',
    "<style>@font-face{src:url(https://example.org/f.woff)}</style>",
    "<style>@import 'https://example.org/a.css';</style>",
    '<script type="module">const m = await import("https://cdn.example.org/m.mjs");</script>',
])
def test_external_resources_are_found(snippet):
    assert len(_html.external_resources(snippet)) == 1


def test_links_and_local_files_are_not_resources():
    page = ('<a href="https://colab.research.google.com/x">Open in Colab</a><img src="data:image/png;base64,AA">'
            '<script src="mathjax/MathJax.js"></script><link href="style.css" rel="stylesheet">')
    assert _html.external_resources(page) == []


def test_index_shows_title_objectives_time_status_and_links(tmp_path):
    (tmp_path / "student").mkdir()
    stem = NOTEBOOKS[0].stem
    (tmp_path / "student" / f"{stem}.ipynb").write_text("{}")
    results = [workbook.RunResult(NOTEBOOKS[0].name, "ok", 12.3), workbook.RunResult(NOTEBOOKS[1].name, "failed", 4.0)]
    text = _html.write_index(results, tmp_path, {"FAST": True}, workbook.NOTEBOOK_DIR, tmp_path / "student").read_text()
    info = _html.notebook_summary(NOTEBOOKS[0])
    assert info["title"] in text and info["objectives"] and info["time"].startswith("about")
    assert f'href="html/{stem}.html"' in text and f'href="notebooks/{stem}.ipynb"' in text
    assert f'href="student/{stem}.ipynb"' in text
    assert ">failed<" in text and _html.external_resources(text) == []
