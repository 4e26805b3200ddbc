"""Find solution code that shows through in a student release.

The student release replaces every solution region with a stub, but a check cell that the student
sees may still spell the solution out: a reference written inline, a hint that quotes the code line.
:func:`find_leaks` compares the *tokens* of each solution (names, numbers, operators; comments,
whitespace and string literals ignored) with the tokens of every visible check cell (its code, and the
words of each of its string literals, where hints live) and reports every run of more than
``max_run`` consecutive tokens that they share.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

__all__ = ["Leak", "code_tokens", "string_tokens", "longest_common_run", "find_leaks", "notebook_leaks"]

_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}
# names, numbers (1, 1.5, 1e-3, .5) and operators (multi-character ones first)
_WORD_RE = re.compile(r"[A-Za-z_]\w*|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|\*\*|//|==|!=|<=|>=|->|:=|@|\S")
_BREAK = "\x00"  # stands for a string literal in the code stream: no run crosses it


@dataclass
class Leak:
    """A run of solution tokens visible in a check cell."""

    exercise: str
    check_cell: str
    fragment: str
    length: int

    def __str__(self) -> str:
        return (f"exercise {self.exercise!r}: check cell {self.check_cell!r} shows {self.length} consecutive "
                f"tokens of the solution: {self.fragment!r}")


def _strip_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def code_tokens(source: str, *, strings: str = "drop") -> tuple[list[str], list[str]]:
    """Tokens of Python ``source`` and the string literals it contains.

    Parameters
    ----------
    source : str
        Python code (IPython magics are ignored). Code that does not tokenize falls back to a
        regular-expression split.
    strings : {"drop", "break"}
        ``"drop"`` leaves string literals out of the token list; ``"break"`` puts a separator in their
        place, so that no common run can span a string.

    Returns
    -------
    tokens : list of str
    literals : list of str
        The string literals' source text, for :func:`string_tokens`.
    """
    tokens, literals = [], []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(_strip_magics(source)).readline):
            if tok.type in _SKIP:
                continue
            if tok.type == tokenize.STRING:
                literals.append(tok.string)
                if strings == "break":
                    tokens.append(_BREAK)
                continue
            tokens.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        code = re.sub(r"#[^\n]*", "", source)
        tokens, literals = _WORD_RE.findall(code), []
    return tokens, literals


def string_tokens(text: str) -> list[str]:
    """Split prose or a string literal into the same kind of tokens as code (names, numbers, operators)."""
    text = re.sub(r"^[rbfuRBFU]*('''|\"\"\"|'|\")", "", text)
    text = re.sub(r"('''|\"\"\"|'|\")$", "", text)
    return _WORD_RE.findall(text)


def longest_common_run(a: list[str], b: list[str]) -> tuple[int, int]:
    """Length of the longest run of consecutive tokens shared by ``a`` and ``b``, and its start in ``a``.

    Separator tokens never match. Dynamic programming, O(len(a) * len(b)) time, O(len(b)) memory.
    """
    best, best_end = 0, 0
    previous = [0] * (len(b) + 1)
    for i, x in enumerate(a, 1):
        current = [0] * (len(b) + 1)
        if x != _BREAK:
            for j, y in enumerate(b, 1):
                if x == y:
                    current[j] = previous[j - 1] + 1
                    if current[j] > best:
                        best, best_end = current[j], i
        previous = current
    return best, best_end - best


def find_leaks(solutions: dict[str, str], check_cells: dict[str, str], *, max_run: int = 10) -> list[Leak]:
    """Every solution fragment of more than ``max_run`` tokens that a check cell shows.

    Parameters
    ----------
    solutions : dict of str to str
        Exercise name → the code of its solution region.
    check_cells : dict of str to str
        Check-cell name → the source the student sees.
    max_run : int
        The longest shared run allowed (10: "more than ten consecutive tokens" is a leak).

    Returns
    -------
    list of Leak
        One per (exercise, check cell) pair with a longer shared run, longest first.
    """
    visible = {}
    for name, source in check_cells.items():
        tokens, literals = code_tokens(source, strings="break")
        visible[name] = [tokens, *(string_tokens(s) for s in literals)]
    leaks = []
    for exercise, solution in solutions.items():
        sol = code_tokens(solution)[0]
        for name, streams in visible.items():
            length, start = max((longest_common_run(sol, s) for s in streams), default=(0, 0))
            if length > max_run:
                fragment = " ".join(sol[start:start + length])
                leaks.append(Leak(exercise, name, fragment, length))
    return sorted(leaks, key=lambda leak: -leak.length)


def notebook_leaks(instructor: dict, student: dict, *, max_run: int = 10) -> list[Leak]:
    """:func:`find_leaks` for a notebook: its solution regions against the check cells of its release.

    Solutions are the ``### BEGIN SOLUTION`` regions of the instructor version's code cells, named by
    their nbgrader ``grade_id``; check cells are the student version's code cells that nbgrader grades.
    """
    from ._release import SOLUTION_RE, _source

    def grade_id(cell, i):
        return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {i}")

    solutions = {}
    for i, cell in enumerate(instructor["cells"]):
        if cell["cell_type"] == "code":
            regions = [m.group(2) for m in SOLUTION_RE.finditer(_source(cell))]
            if regions:
                solutions[grade_id(cell, i)] = "\n".join(regions)
    checks = {grade_id(cell, i): _source(cell) for i, cell in enumerate(student["cells"])
              if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade")}
    return find_leaks(solutions, checks, max_run=max_run)
