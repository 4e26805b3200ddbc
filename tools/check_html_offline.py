"""Open built pages in headless Chromium with the network off and check that their maths rendered.

    python tools/check_html_offline.py [build/html/*.html]

Chromium gets an unreachable proxy for every non-local request, so anything a page tried to fetch from
the network fails. A page passes when MathJax (loaded from the local copy) has typeset its formulas:
the DOM holds MathJax's output elements and no display formula is left as raw ``$$...$$`` text.
Needs Debian's ``chromium`` (``apt-get install chromium``). Exit status 1 when a page fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rendered_dom(page: Path, browser: str) -> str:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           "--virtual-time-budget=30000", "--dump-dom", page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout


def verdict(dom: str) -> tuple[bool, str]:
    typeset = len(re.findall(r'class="MathJax(?:_Display|_CHTML|_SVG)?"', dom))
    sources = len(re.findall(r'<script type="math/tex', dom))
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", "", dom, flags=re.S)
    raw = len(re.findall(r"\$\$", re.sub(r"<[^>]+>", "", text)))
    ok = typeset > 0 and sources > 0 and raw == 0
    return ok, f"{typeset} typeset formulas, {sources} MathJax sources, {raw} raw $$ left"


def main(argv: list[str]) -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: apt-get install chromium", file=sys.stderr)
        return 2
    pages = [Path(a) for a in argv] or sorted((ROOT / "build" / "html").glob("*.html"))
    if not pages:
        print("no pages: run `make workbook` first", file=sys.stderr)
        return 2
    failed = 0
    for page in pages:
        ok, message = verdict(rendered_dom(page, browser))
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {page.name}: {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
