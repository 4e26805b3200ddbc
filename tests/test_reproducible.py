"""Same seed, same numbers: two real notebooks executed twice with one seed print the same values."""

import json
import re

import pytest

from course_utils import workbook

# Timings are the only numbers allowed to change between runs: "12.3 s", "0.8 ms", "45 it/s", "took 3.1".
_TIMING = re.compile(r"\d+(?:\.\d+)?\s*(?:s|ms|µs|sec|seconds|it/s|s/it)\b|(?:took|in|time[:=]?)\s+\d+(?:\.\d+)?",
                     re.I)


def printed(path) -> list[str]:
    """Every text a code cell shows (streams and plain-text results), with timings blanked."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    shown = []
    for cell in nb["cells"]:
        # a cell's printed text may reach the notebook in chunks that differ from run to run: join them
        text = ""
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream" and out.get("name") == "stderr":
                continue  # warnings and progress bars
            part = out.get("text", "") if out["output_type"] == "stream" else out.get("data", {}).get("text/plain", "")
            text += "".join(part) if isinstance(part, list) else part
        if text:
            shown.append(_TIMING.sub("<time>", text))
    return shown


@pytest.mark.slow
def test_same_seed_gives_the_same_printed_numbers(tmp_path):
    notebooks = workbook.resolve(["03", "07"])
    runs = []
    for name in ("a", "b"):
        results = workbook.run(notebooks, fast=True, seed=3, output=tmp_path / name, progress=False, jobs=2)
        assert [r.status for r in results] == ["ok", "ok"], [r.message for r in results]
        runs.append({p.name: printed(tmp_path / name / "notebooks" / p.name) for p in notebooks})
    for nb in runs[0]:
        assert len(runs[0][nb]) > 10
        assert runs[0][nb] == runs[1][nb], nb
