"""Reproducibility and hardware: seeding, device choice and thread limits for timing cells."""

from __future__ import annotations

import contextlib
import os
import random

import numpy as np

__all__ = ["seed_everything", "get_device", "available_devices", "limit_threads", "env_flag", "progress"]

_DEVICES = ("auto", "cpu", "cuda", "mps")


def seed_everything(seed: int) -> int:
    """Seed Python's ``random``, NumPy's legacy global generator and torch (CPU and every CUDA device).

    For notebooks only: library functions take an ``rng`` (NumPy side) or ``seed`` (torch side)
    argument instead of relying on global state. Also asks cuDNN for deterministic kernels, so that
    runs repeat on a GPU too.

    Parameters
    ----------
    seed : int
        A non-negative integer below 2**32.

    Returns
    -------
    int
        The seed, so that a notebook can print it.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32) (got {seed!r})")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    import torch

    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return seed


def _mps_available(torch) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(device: str = "auto"):
    """Return the ``torch.device`` to compute on.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "mps"} or str
        ``"auto"`` picks CUDA, then Apple's MPS, then the CPU. ``"cuda:1"`` style names are accepted.

    Raises
    ------
    ValueError
        When the name is unknown, or the requested accelerator is not present on this machine
        (the message says what is available and suggests ``"auto"``).
    """
    import torch

    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'auto', 'cpu' or 'cuda' (got {device!r})")
    kind = device.split(":")[0].lower()
    if kind not in _DEVICES:
        raise ValueError(f"device must be one of {', '.join(map(repr, _DEVICES))} (got {device!r})")
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available(torch):
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but no CUDA GPU is available here "
            f"(available: {', '.join(available_devices())}); use device='auto' to fall back to the CPU"
        )
    if kind == "mps" and not _mps_available(torch):
        raise ValueError(
            f"device={device!r} was requested but Apple's MPS backend is not available here "
            f"(available: {', '.join(available_devices())}); use device='auto' to fall back to the CPU"
        )
    return torch.device(device.lower())


def available_devices() -> list[str]:
    """Names of the devices torch can use on this machine, e.g. ``['cpu', 'cuda']``."""
    import torch

    names = ["cpu"]
    if torch.cuda.is_available():
        names.append("cuda")
    if _mps_available(torch):
        names.append("mps")
    return names


#: Environment for kernels that run side by side (runner, grader, nbgrader validation): one BLAS/OpenMP/
#: Numba thread each, so that two kernels on two cores do not fight over them (torch follows OMP_NUM_THREADS).
ONE_THREAD_ENV = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                         "NUMBA_NUM_THREADS")}
#: Kernel arguments for unattended runs (runner, grader): log errors only, so that the kernel's start-up
#: warning about its plain-TCP transport is not printed once per notebook.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


@contextlib.contextmanager
def limit_threads(n: int = 1):
    """Limit BLAS/OpenMP and torch to ``n`` threads inside a ``with`` block (for fair timings).

    Example
    -------
    >>> with limit_threads(1):
    ...     pass  # time something here
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer (got {n!r})")
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    with threadpool_limits(limits=n):
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def env_flag(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable: ``1/true/yes/on`` are true, ``0/false/no/off/''`` false."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"environment variable {name} must be one of 1/0/true/false/yes/no (got {raw!r})")


def progress(iterable=None, *, total: int | None = None, desc: str | None = None, enabled: bool = True,
             **kwargs):
    """A ``tqdm.auto`` progress bar that stays quiet when nobody is watching.

    Training loops call this instead of ``tqdm`` directly. The bar is hidden when ``enabled`` is false
    or when the environment variable ``WORKBOOK_UNATTENDED`` is set (the workbook runner and the test
    suite set it, so that executed notebooks and HTML pages are not filled with bar updates).

    Parameters
    ----------
    iterable : iterable, optional
        What to loop over; omit it and call ``.update()`` yourself.
    total : int, optional
        Number of steps, when ``iterable`` has no length.
    desc : str, optional
        Label shown before the bar.
    enabled : bool
        The caller's ``progress=`` argument.
    """
    from tqdm.auto import tqdm

    quiet = (not enabled) or env_flag("WORKBOOK_UNATTENDED", False)
    return tqdm(iterable, total=total, desc=desc, disable=quiet, leave=False, **kwargs)
