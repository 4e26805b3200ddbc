"""Input checks shared by the public entry points.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the parameter, says what was
expected and what came, so that a student sees the cause instead of a NaN or an ``IndexError`` from
deep inside NumPy. Only public functions call these; private helpers trust their inputs.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "check_finite",
    "check_positive_int",
    "check_probability_vector",
    "check_stochastic_matrix",
    "check_rng",
    "check_choice",
]


def _describe(value) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def as_float_array(value, name: str, *, ndim: int | tuple[int, ...] | None = None, finite: bool = True,
                   dtype=np.float64) -> np.ndarray:
    """Convert ``value`` to a float array, checking its number of dimensions and finiteness.

    Raises
    ------
    TypeError
        When ``value`` cannot be converted to numbers.
    ValueError
        When the number of dimensions is wrong, the array is empty, or it holds NaN or inf.
    """
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers (got {_describe(value)})") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want} (got an array of shape {arr.shape})")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty (got an array of shape {arr.shape})")
    if finite:
        check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` when ``arr`` holds NaN or inf, saying where the first one is."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must hold finite numbers (found {arr[where]} at index {where}, "
            f"{int(bad.sum())} non-finite value(s) in all); drop or impute them first"
        )


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising when it is not an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum} (got {_describe(value)})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum} (got {value})")
    return int(value)


def check_probability_vector(p, name: str, *, atol: float = 1e-8) -> np.ndarray:
    """Check that ``p`` is a 1-D vector of non-negative numbers summing to one."""
    p = as_float_array(p, name, ndim=1)
    if (p < 0).any():
        raise ValueError(f"{name} must be non-negative (got {p})")
    total = p.sum()
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (got a sum of {total:.10g})")
    return p


def check_stochastic_matrix(A, name: str, *, shape: tuple[int, int] | None = None,
                            atol: float = 1e-8) -> np.ndarray:
    """Check that ``A`` is a 2-D matrix of non-negative numbers whose rows sum to one."""
    A = as_float_array(A, name, ndim=2)
    if shape is not None and A.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (got {A.shape})")
    if (A < 0).any():
        raise ValueError(f"{name} must be non-negative (found {A.min():.3g})")
    sums = A.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=atol):
        raise ValueError(f"{name} rows must sum to 1 (got row sums of {np.array2string(sums, precision=6)})")
    return A


def check_rng(rng) -> np.random.Generator:
    """Turn ``rng`` (a ``numpy.random.Generator``, an int seed or ``None``) into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None (got {_describe(rng)})")


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of ``choices`` and return it."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))} (got {value!r})")
    return value
