"""Shared by the exercise-check tests: run a check with its printout captured."""

import io
from contextlib import redirect_stdout


def run_check(check_fn, student, *args, **kwargs):
    """Run ``check_fn(student, ...)`` quietly: (passed, printed text).

    A check returns the student's function (or its ``forbid_calls`` wrapper) when every case agreed.
    """
    with redirect_stdout(io.StringIO()) as out:
        got = check_fn(student, *args, **kwargs)
    return got is student or getattr(got, "__wrapped__", None) is student, out.getvalue()
