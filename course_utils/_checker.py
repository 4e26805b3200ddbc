"""The exercise checker behind :mod:`course_utils.exercises`: run a student's function against the
reference on a list of cases and report in plain words. Use it as ``cu.exercises.check`` and friends;
this private module only keeps the machinery apart from the reference solutions.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
import re
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .runtime import env_flag

__all__ = ["Case", "case", "check", "check_sampler", "check_value", "ExerciseFailure", "grading_mode", "compare"]

_PASS, _FAIL, _TODO = "\u2705", "\u274c", "\u23f3"  # check mark, cross, hourglass


class ExerciseFailure(AssertionError):
    """Raised under grading when an exercise is wrong or not attempted."""


@dataclasses.dataclass
class Case:
    """One input to an exercise: positional and keyword arguments and a label for messages."""

    args: tuple
    kwargs: dict
    label: str


def case(*args, label: str | None = None, **kwargs) -> Case:
    """Build a :class:`Case`; ``label`` names it in failure messages (default ``"case k"``)."""
    return Case(args=args, kwargs=kwargs, label=label or "")


def grading_mode() -> bool:
    """True when the autograder runs the notebook (environment variable ``WORKBOOK_GRADING``)."""
    return env_flag("WORKBOOK_GRADING", False)


# ---------------------------------------------------------------- comparing answers


def _to_numpy(value):
    """Tensors become arrays; everything else is returned unchanged."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


def compare(expected, got, *, rtol: float = 1e-6, atol: float = 1e-8, path: str = "result") -> str | None:
    """Compare two answers; return ``None`` when they agree, else a sentence saying where they differ.

    Arrays (NumPy or torch) are compared by shape then with ``np.allclose``; tuples, lists, dicts and
    dataclasses element by element; numbers with the same tolerances; anything else with ``==``.
    """
    expected, got = _to_numpy(expected), _to_numpy(got)
    if dataclasses.is_dataclass(expected) and not isinstance(expected, type):
        if type(got) is not type(expected):
            return f"{path} should be a {type(expected).__name__} (got {type(got).__name__})"
        for field in dataclasses.fields(expected):
            msg = compare(getattr(expected, field.name), getattr(got, field.name), rtol=rtol, atol=atol,
                          path=f"{path}.{field.name}")
            if msg:
                return msg
        return None
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping) or set(got) != set(expected):
            return f"{path} should be a dict with keys {sorted(expected)} (got {_short(got)})"
        for key in expected:
            msg = compare(expected[key], got[key], rtol=rtol, atol=atol, path=f"{path}[{key!r}]")
            if msg:
                return msg
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{path} should be a sequence of {len(expected)} items (got {_short(got)})"
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = compare(e, g, rtol=rtol, atol=atol, path=f"{path}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, (np.ndarray, numbers.Number, np.generic)) and not isinstance(expected, bool):
        e = np.asarray(expected)
        try:
            g = np.asarray(got, dtype=e.dtype if e.dtype.kind in "fc" else None)
        except (TypeError, ValueError):
            return f"{path} should be numeric (got {_short(got)})"
        if g.shape != e.shape:
            return f"{path} should have shape {e.shape} (got shape {g.shape})"
        if e.dtype.kind in "fc" or g.dtype.kind in "fc":
            if g.dtype.kind not in "fciub":
                return f"{path} should be numeric (got dtype {g.dtype})"
            if np.isnan(g).any() and not np.isnan(e).any():
                return f"{path} contains NaN"
            close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        else:
            close = g == e
        if not np.all(close):
            if e.ndim == 0:
                return f"{path} should be {e.item():.6g} (got {g.item():.6g})"
            where = tuple(int(i) for i in np.argwhere(~close)[0])
            return (f"{path} differs at index {where}: expected {e[where]:.6g}, got {g[where]:.6g} "
                    f"({int((~close).sum())} of {e.size} entries differ)")
        return None
    if expected != got:
        return f"{path} should be {_short(expected)} (got {_short(got)})"
    return None


def _short(value, limit: int = 200) -> str:
    """A compact, bounded text form of a value for messages."""
    value = _to_numpy(value)
    if isinstance(value, np.ndarray):
        text = f"array of shape {value.shape}: " + np.array2string(value, precision=4, threshold=12,
                                                                   edgeitems=3)
    else:
        text = repr(_plain(value))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(value):
    """NumPy scalars as Python numbers, inside tuples and lists too, so messages read ``0.5``, not
    ``np.float64(0.5)``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(_plain(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


# ---------------------------------------------------------------- reporting


_LIBRARY_DIRS = {"course_utils", "site-packages", "dist-packages", "numpy", "torch"}


def _student_frame(exc: BaseException) -> str:
    """The innermost traceback line of the student's own code (not course_utils, NumPy, torch or another
    installed package), so that an error raised deep inside a library points at the student's call."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not _LIBRARY_DIRS.intersection(re.split(r"[\\/]", f.filename))]
    if not frames:
        return ""
    f = frames[-1]
    where = "your code" if f.filename.startswith("<") or "ipykernel" in f.filename else f.filename
    return f" (in {where}, line {f.lineno}: `{(f.line or '').strip()}`)"


def _user_namespace() -> dict | None:
    """The notebook's global names when running in IPython (a kernel), else ``None``."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "user_ns", None)


def _fall_back(name: str, student_fn, reference_fn) -> None:
    """Under grading, put ``reference_fn`` under the student's name in the notebook before the check fails.

    Outside grading a failed check returns the reference and the cell's assignment puts it in place; under
    grading the check raises instead, so without this the later cells would go on with the wrong (or
    endless) function and lose the points of exercises that build on it. Only a name that still holds
    ``student_fn`` (or what it wraps) is replaced.
    """
    import inspect

    ns = _user_namespace()
    if not grading_mode() or ns is None or reference_fn is None or not callable(ns.get(name)):
        return
    if inspect.unwrap(ns[name]) is inspect.unwrap(student_fn):
        ns[name] = reference_fn


def _report(name: str, status: str, message: str, fallback_name: str | None, *,
            student_fn=None, reference_fn=None) -> None:
    if status != "pass" and student_fn is not None:
        _fall_back(name, student_fn, reference_fn)
    if status == "pass":
        print(f"{_PASS} {name}: {message}")
        return
    symbol = _TODO if status == "todo" else _FAIL
    if fallback_name == "reference solution":
        tail = "\n   The notebook continues with the reference solution."
    elif fallback_name:
        tail = f"\n   The notebook continues with the reference `{fallback_name}`."
    else:
        tail = ""
    text = f"{symbol} {name}: {message}{tail}"
    if grading_mode():
        raise ExerciseFailure(text)
    print(text)


def _describe_case(c: Case) -> str:
    parts = [_short(a, 120) for a in c.args] + [f"{k}={_short(v, 120)}" for k, v in c.kwargs.items()]
    return ", ".join(parts)


def _public_name(fn) -> str:
    """How a notebook would call ``fn``: ``cu.<public module>.<name>``, or "reference solution"."""
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", None))
    module = getattr(fn, "__module__", "") or ""
    if not name or "<" in name:  # a lambda or a function defined inside another
        return "reference solution"
    if not module.startswith("course_utils"):
        return name
    for mod_name, mod in sorted(sys.modules.items()):  # a public module that re-exports a private one's name
        public = mod_name.startswith("course_utils.") and not mod_name.rsplit(".", 1)[-1].startswith("_")
        if public and getattr(mod, name, None) is fn:
            return "cu." + mod_name.removeprefix("course_utils.") + "." + name
    return module.replace("course_utils", "cu", 1) + "." + name


def _is_stand_in(student_fn, reference_fn) -> bool:
    """True when a check cell is re-run on what an earlier failed check returned: the reference itself."""
    import inspect

    return student_fn is reference_fn or (callable(student_fn) and inspect.unwrap(student_fn) is reference_fn)


_RERUN = ("not checked: this name holds the reference the notebook went on with after the last check. "
          "Run the cell that defines your function again, then this cell.")


def check(student_fn: Callable, reference_fn: Callable, cases: Sequence[Case | tuple], *,
          name: str | None = None, hint: str | None = None, rtol: float = 1e-6, atol: float = 1e-8,
          compare_fn: Callable[[Any, Any], str | None] | None = None) -> Callable:
    """Check ``student_fn`` against ``reference_fn`` on every case and print the verdict.

    Parameters
    ----------
    student_fn, reference_fn : callable
        The student's function and the trusted one; both are called with each case's arguments.
        Inputs are deep-copied per call, so a function that modifies its arguments cannot spoil a case.
    cases : sequence of Case or tuple
        The inputs; a bare tuple is taken as positional arguments. Put edge cases here.
    name : str, optional
        Name shown in messages; defaults to ``student_fn.__name__``.
    hint : str, optional
        Shown after a wrong answer.
    rtol, atol : float
        Tolerances for numeric comparison (see :func:`compare`).
    compare_fn : callable, optional
        ``compare_fn(expected, got) -> None | str`` replaces :func:`compare` (e.g. labels up to a
        permutation); return a sentence describing the difference, or ``None`` when they agree.

    Returns
    -------
    callable
        ``student_fn`` when every case agrees, ``reference_fn`` otherwise (so the notebook can go on).

    Raises
    ------
    ExerciseFailure
        Only under grading (``WORKBOOK_GRADING`` set), when the answer is wrong or not attempted.
    """
    name = name or getattr(student_fn, "__name__", "your function")
    ref_name = _public_name(reference_fn)
    if not cases:
        raise ValueError("cases must hold at least one input")
    if _is_stand_in(student_fn, reference_fn):
        _report(name, "todo", _RERUN, ref_name)
        return reference_fn
    if not callable(student_fn):
        _report(name, "fail", f"expected a function, got {_short(student_fn)}", ref_name)
        return reference_fn
    if not cases:
        raise ValueError("cases must hold at least one input")
    swap = dict(student_fn=student_fn, reference_fn=reference_fn)
    for i, c in enumerate(cases):
        c = c if isinstance(c, Case) else Case(tuple(c), {}, "")
        label = c.label or f"case {i + 1}"
        expected = reference_fn(*copy.deepcopy(c.args), **copy.deepcopy(c.kwargs))
        try:
            got = student_fn(*copy.deepcopy(c.args), **copy.deepcopy(c.kwargs))
        except KeyboardInterrupt:  # the grader stops an exercise at its time limit: later cells get the reference
            _fall_back(name, student_fn, reference_fn)
            raise
        except NotImplementedError:
            _report(name, "todo", "not attempted yet (the function still raises NotImplementedError).",
                    ref_name, **swap)
            return reference_fn
        except Exception as exc:  # the student's error, shown briefly instead of a stack of internals
            _report(name, "fail",
                    f"raised {type(exc).__name__}: {exc}{_student_frame(exc)}\n   on {label}: "
                    f"{_describe_case(c)}" + (f"\n   Hint: {hint}" if hint else ""), ref_name, **swap)
            return reference_fn
        diff = (compare_fn or (lambda e, g: compare(e, g, rtol=rtol, atol=atol)))(expected, got)
        if diff:
            _report(name, "fail",
                    f"wrong answer on {label}.\n   Input: {_describe_case(c)}\n   {diff}\n"
                    f"   Expected: {_short(expected)}\n   Got:      {_short(got)}"
                    + (f"\n   Hint: {hint}" if hint else ""), ref_name, **swap)
            return reference_fn
    _report(name, "pass", f"correct on all {len(cases)} checks.", None)
    return student_fn


def _advanced(args):
    """A deep copy of ``args`` (a tuple or dict) whose NumPy generators have moved on by one draw."""
    args = copy.deepcopy(args)
    for value in (args.values() if isinstance(args, dict) else args):
        if isinstance(value, np.random.Generator):
            value.random()
    return args


def _has_generator(args, kwargs) -> bool:
    return any(isinstance(v, np.random.Generator) for v in (*args, *kwargs.values()))


def _same_output(a, b) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_output(x, y) for x, y in zip(a, b))
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):
        return a is b


def check_sampler(student_fn: Callable, reference_fn: Callable, cases: Sequence[Case | tuple],
                  problem_fn: Callable[..., str | None], *, name: str | None = None,
                  hint: str | None = None) -> Callable:
    """Check a sampling exercise by the distribution of what it draws, not by its exact numbers.

    Any correct sampler passes, whatever order it draws its random numbers in; the test's false-fail
    probability is set by ``problem_fn`` (see :mod:`course_utils._sampler_tests`). The student's
    function must draw only from the generator it is given: it is called twice with generators in the
    same state and must return the same sample both times.

    Parameters
    ----------
    student_fn, reference_fn : callable
        The student's sampler and a trusted one (returned when the student's is wrong).
    cases : sequence of Case or tuple
        Inputs; each holds a ``numpy.random.Generator`` among its arguments (copied per call).
    problem_fn : callable
        ``problem_fn(*args, sample, **kwargs) -> None | str``: ``None`` when ``sample`` is a plausible
        draw for the case's arguments, otherwise a sentence saying what is off.
    name, hint : str, optional
        As for :func:`check`.

    Returns
    -------
    callable
        ``student_fn`` when every case passes, ``reference_fn`` otherwise.
    """
    name = name or getattr(student_fn, "__name__", "your function")
    if _is_stand_in(student_fn, reference_fn):
        _report(name, "todo", _RERUN, "reference solution")
        return reference_fn
    swap = dict(student_fn=student_fn, reference_fn=reference_fn)
    for i, c in enumerate(cases):
        c = c if isinstance(c, Case) else Case(tuple(c), {}, "")
        label = c.label or f"case {i + 1}"
        try:
            got = student_fn(*copy.deepcopy(c.args), **copy.deepcopy(c.kwargs))
            again = student_fn(*copy.deepcopy(c.args), **copy.deepcopy(c.kwargs))
            other = student_fn(*_advanced(c.args), **_advanced(c.kwargs))
        except KeyboardInterrupt:  # stopped at the grader's time limit: later cells get the reference
            _fall_back(name, student_fn, reference_fn)
            raise
        except NotImplementedError:
            _report(name, "todo", "not attempted yet (the function still raises NotImplementedError).",
                    "reference solution", **swap)
            return reference_fn
        except Exception as exc:
            _report(name, "fail", f"raised {type(exc).__name__}: {exc}{_student_frame(exc)}\n   on {label}"
                    + (f"\n   Hint: {hint}" if hint else ""), "reference solution", **swap)
            return reference_fn
        if not _same_output(got, again):
            problem = ("two calls with generators in the same state gave different samples: draw every "
                       "random number from the rng argument (not np.random.* or a new generator)")
        elif _has_generator(c.args, c.kwargs) and _same_output(got, other):
            problem = ("generators in different states gave the same sample: draw every random number "
                       "from the rng argument, not from a generator or seed of your own")
        else:
            problem = problem_fn(*c.args, got, **c.kwargs)
        if problem:
            _report(name, "fail", f"wrong sample on {label}: {problem}" + (f"\n   Hint: {hint}" if hint else ""),
                    "reference solution", **swap)
            return reference_fn
    _report(name, "pass", f"samples have the right distribution on all {len(cases)} checks.", None)
    return student_fn


def check_value(answer_fn: Callable[[], Any], expected, *, name: str = "your answer",
                hint: str | None = None, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """Check an answer computed by a zero-argument function (so a stub can raise NotImplementedError).

    Returns ``True`` when the answer matches ``expected``; prints the verdict either way and raises
    :class:`ExerciseFailure` under grading when it does not.
    """
    try:
        got = answer_fn()
    except NotImplementedError:
        _report(name, "todo", "not attempted yet.", None)
        return False
    except Exception as exc:
        _report(name, "fail", f"raised {type(exc).__name__}: {exc}{_student_frame(exc)}"
                + (f"\n   Hint: {hint}" if hint else ""), None)
        return False
    diff = compare(expected, got, rtol=rtol, atol=atol, path=name)
    if diff:
        _report(name, "fail", diff + (f"\n   Hint: {hint}" if hint else ""), None)
        return False
    _report(name, "pass", "correct.", None)
    return True
