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


# --- torch-side checks (used by vae, gan and flows) -------------------------------------------------

def as_float_tensor(value, name: str, *, ndim: int | None = None, last_dim: int | None = None,
                    finite: bool = True):
    """Convert ``value`` to a floating-point ``torch.Tensor`` and check its shape and finiteness.

    Tensors keep their device and floating dtype (integer and boolean tensors become float32); NumPy
    arrays and lists become float32 tensors on the CPU.

    Raises
    ------
    TypeError
        When ``value`` cannot be converted to numbers.
    ValueError
        When the number of dimensions or the size of the last dimension is wrong, the tensor is
        empty, or it holds NaN or inf.
    """
    import torch

    if isinstance(value, torch.Tensor):
        t = value if value.is_floating_point() else value.float()
    else:
        try:
            t = torch.as_tensor(np.asarray(value, dtype=np.float32))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a tensor or array of numbers (got {_describe(value)})") from exc
    if ndim is not None and t.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D (got a tensor of shape {tuple(t.shape)})")
    if last_dim is not None and (t.ndim == 0 or t.shape[-1] != last_dim):
        raise ValueError(f"{name} must have {last_dim} columns in its last dimension "
                         f"(got a tensor of shape {tuple(t.shape)})")
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty (got a tensor of shape {tuple(t.shape)})")
    if finite:
        check_finite_tensor(t, name)
    return t


def check_finite_tensor(t, name: str) -> None:
    """Raise ``ValueError`` when the tensor ``t`` holds NaN or inf, saying where the first one is."""
    import torch

    bad = ~torch.isfinite(t.detach())
    if bool(bad.any()):
        where = tuple(int(i) for i in torch.nonzero(bad)[0])
        raise ValueError(
            f"{name} must hold finite numbers (found {t[where].item()} at index {where}, "
            f"{int(bad.sum())} non-finite value(s) in all); check the data or lower the learning rate"
        )


def check_same_shape(a, b, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` when the tensors ``a`` and ``b`` do not have the same shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name_a} and {name_b} must have the same shape "
                         f"(got {tuple(a.shape)} and {tuple(b.shape)})")


def check_positive_float(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, raising when it is not a finite number ``> 0`` (``>= 0`` if allowed)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (got {_describe(value)})")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and ok):
        raise ValueError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0 (got {value})")
    return value


def check_torch_generator(generator, device=None):
    """Turn ``generator`` (a ``torch.Generator``, an int seed or ``None``) into a ``torch.Generator``.

    ``None`` gives a fresh generator with a non-deterministic seed; global state is never touched.
    A new generator is created on ``device`` (default: the CPU).
    """
    import torch

    if isinstance(generator, torch.Generator):
        return generator
    if generator is None or (isinstance(generator, numbers.Integral) and not isinstance(generator, bool)):
        g = torch.Generator(device=device if device is not None else "cpu")
        if generator is None:
            g.seed()
        else:
            g.manual_seed(int(generator))
        return g
    raise TypeError(f"generator must be a torch.Generator, an int seed or None (got {_describe(generator)})")


# --- helpers added for course_utils.hmm (log-space inputs and multi-sequence data) ---------------------

__all__ += ["as_log_prob_array", "check_log_normalized", "check_lengths"]


def as_log_prob_array(value, name: str, *, ndim: int) -> np.ndarray:
    """Convert ``value`` to a float64 array of log-probabilities: NaN and +inf are refused, -inf is allowed.

    Raises
    ------
    TypeError
        When ``value`` cannot be converted to numbers.
    ValueError
        When the number of dimensions is wrong, the array is empty, or it holds NaN or +inf.
    """
    arr = as_float_array(value, name, ndim=ndim, finite=False)
    bad = np.isnan(arr) | (arr == np.inf)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must hold log-probabilities: finite numbers or -inf (found {arr[where]} at "
                         f"index {where}); a NaN usually comes from log of a negative number or 0 * inf")
    return arr


def check_log_normalized(arr: np.ndarray, name: str, *, atol: float = 1e-8) -> None:
    """Raise ``ValueError`` unless ``exp(arr)`` sums to one along the last axis (each row, for a matrix)."""
    sums = np.exp(arr).sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0, atol=atol):
        what = "rows of exp(" + name + ")" if arr.ndim > 1 else "exp(" + name + ")"
        raise ValueError(f"{what} must sum to 1 (got sums of {np.array2string(np.atleast_1d(sums), precision=6)}); "
                         f"pass the log of a probability vector or stochastic matrix")


def check_lengths(lengths, n_samples: int, name: str = "lengths") -> np.ndarray:
    """Check sequence lengths: positive integers summing to ``n_samples``; ``None`` means one sequence."""
    if lengths is None:
        return np.array([n_samples], dtype=np.int64)
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be a non-empty 1-D sequence of integers (got {_describe(lengths)})")
    if (arr < 1).any():
        raise ValueError(f"{name} must hold positive integers (got {arr})")
    if arr.sum() != n_samples:
        raise ValueError(f"{name} must sum to the number of observations {n_samples} (got a sum of {int(arr.sum())})")
    return arr.astype(np.int64)
