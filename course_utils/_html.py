"""HTML pages of the executed notebooks that a reader can open with the network off.

- :func:`to_html` renders one notebook with the ``offline`` template (``course_utils/templates``): the
  lab template without require.js and mermaid, MathJax loaded from ``mathjax/`` next to the page (a
  copy of the MathJax 2.7 that the ``jupyter-server-mathjax`` package ships, made by
  :func:`install_mathjax`), and the Colab badge as a text link instead of a remote image.
- :func:`external_resources` lists what a page would fetch from the network (scripts, stylesheets,
  images, fonts, frames); the tests assert that the list is empty for every built page. Plain links
  (``<a href="https://...">``) are not resources: the reader chooses to follow them.
- :func:`write_index` writes the index page: title, objectives, time and status of each notebook, with
  links to its page, the executed notebook and the student version.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import time
from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates")
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"

_BADGE = re.compile(r'<img[^>]*src="https://colab\.research\.google\.com/assets/colab-badge\.svg"[^>]*>')
_RESOURCE_TAG = re.compile(r"<(script|link|img|iframe|source|embed|object|video|audio)\b[^>]*>", re.I)
_RESOURCE_ATTR = re.compile(r"""\b(src|href|data|srcset|poster)\s*=\s*["']?([^"'\s>]+)""", re.I)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""", re.I)
_REMOTE = re.compile(r"^(?:https?:)?//", re.I)
_DYNAMIC_IMPORT = re.compile(r"""(?<!@)\bimport\s*\(?\s*["']((?:https?:)?//[^"']+)""", re.I)


def install_mathjax(html_dir: Path) -> Path:
    """Copy MathJax (from the ``jupyter-server-mathjax`` package) to ``html_dir/mathjax`` once."""
    try:
        import jupyter_server_mathjax
    except ImportError as exc:  # pragma: no cover - installed with the notebooks extra
        raise ImportError("offline HTML needs MathJax from the jupyter-server-mathjax package: "
                          "pip install -e '.[notebooks]'") from exc
    source = Path(jupyter_server_mathjax.__file__).with_name("static")
    target = Path(html_dir) / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)
    return target


def to_html(ipynb: Path, html_path: Path) -> Path:
    """Render the executed notebook ``ipynb`` to ``html_path``, with MathJax copied beside it."""
    import nbconvert
    import nbformat

    html_path = Path(html_path)
    install_mathjax(html_path.parent)
    exporter = nbconvert.HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                                      mathjax_url=f"mathjax/MathJax.js?config={MATHJAX_CONFIG}")
    body, _ = exporter.from_notebook_node(nbformat.read(ipynb, as_version=4))
    body = _BADGE.sub("Open in Colab", body)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def external_resources(page: str) -> list[str]:
    """Every URL on the network that ``page`` would load by itself (not links the reader may follow)."""
    found = []
    for tag in _RESOURCE_TAG.finditer(page):
        for attr, url in _RESOURCE_ATTR.findall(tag.group(0)):
            if _REMOTE.match(url):
                found.append(f"<{tag.group(1).lower()} {attr}={url}>")
    found += [f"css url {url}" for url in _CSS_URL.findall(page)]
    found += [f"script import {url}" for url in _DYNAMIC_IMPORT.findall(page)]
    return found


def notebook_summary(path: Path) -> dict:
    """Title, learning objectives and stated time of a notebook, read from its markdown."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), Path(path).stem)
    objectives = []
    block = re.search(r"## Learning objectives\n(.*?)(?:\n## |\Z)", text, re.S)
    if block:
        objectives = [line[2:].strip() for line in block.group(1).splitlines() if line.startswith("- ")]
    minutes = re.search(r"\*Time:\s*([^*]+)\*", text)
    return {"title": title, "objectives": objectives, "time": minutes.group(1).strip().rstrip(".") if minutes else ""}


def _inline_markdown(text: str) -> str:
    """Escape, then render `code` spans (the objectives use nothing else)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def write_index(results, out: Path, params: dict, notebook_dir: Path, student_dir: Path | None = None) -> Path:
    """The index page of a build: one row per notebook run (``results`` hold notebook, status, seconds)."""
    out = Path(out)
    rows = []
    for r in results:
        stem = Path(r.notebook).stem
        source = Path(notebook_dir) / f"{stem}.ipynb"
        info = notebook_summary(source) if source.exists() else {"title": stem, "objectives": [], "time": ""}
        goals = "".join(f"<li>{_inline_markdown(o)}</li>" for o in info["objectives"])
        student = Path(student_dir) / f"{stem}.ipynb" if student_dir else None
        links = [f'<a href="html/{stem}.html">page</a>', f'<a href="notebooks/{stem}.ipynb">executed .ipynb</a>']
        if student is not None and student.exists():
            links.append(f'<a href="{html.escape(_relative(student, out))}">student .ipynb</a>')
        colour = "#1a7f37" if r.status == "ok" else "#cf222e"
        rows.append(f'<tr><td><a href="html/{stem}.html"><b>{html.escape(info["title"])}</b></a>'
                    f'<details><summary>objectives</summary><ul>{goals}</ul></details></td>'
                    f'<td>{html.escape(info["time"])}</td><td style="color:{colour}">{r.status}</td>'
                    f'<td>{r.seconds:.1f}</td><td class="files">{"<br>".join(links)}</td></tr>')
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Generative Models Workbook</title>
<style>body{{font-family:sans-serif;max-width:64em;margin:2em auto}}td,th{{padding:.4em .8em;text-align:left;
vertical-align:top}}td.files{{white-space:nowrap}}tr:nth-child(even){{background:#f6f8fa}}details{{font-size:.9em}}</style></head><body>
<h1>Generative Models Workbook</h1>
<p>Executed {time.strftime('%Y-%m-%d %H:%M')} with {html.escape(json.dumps(params))}.</p>
<table><tr><th>Notebook</th><th>Time</th><th>Status</th><th>Seconds</th><th>Files</th></tr>{''.join(rows)}</table>
</body></html>"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _relative(path: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(Path(path).resolve(), Path(start).resolve())).as_posix()
