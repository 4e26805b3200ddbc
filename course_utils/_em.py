"""The expectation-maximisation loop shared by :func:`course_utils.mixtures.fit_gmm` and
:func:`course_utils.hmm.baum_welch` (private).

A model plugs in two functions of its own: ``e_step(state) -> (stats, mean_log_likelihood)`` and
``m_step(stats, state) -> state``. The driver owns everything else: the stopping rule, the restarts
(``n_init``, keeping the run with the highest final log-likelihood), the ``ConvergenceWarning``, and
the checks of ``tol``, the iteration budget and ``n_init``. ``state`` is whatever the model needs to
carry between iterations (for a GMM its parameters and their Cholesky factors, so that one
factorisation serves the M-step's singularity check and the next E-step); the loop never validates it
again: the public entry points validate once, before the loop.

``log_likelihood_history`` means the same for every model: the **mean log-likelihood per
observation** (per data point for a GMM, per time step over all sequences for an HMM) of the
parameters entering each iteration's E-step. The stopping rule compares consecutive entries.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._validation import check_positive_int


def _describe(value) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def check_non_negative(value, name: str) -> float:
    """Return ``value`` as a float, raising when it is not a real number ``>= 0`` (``inf`` allowed)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number (got {_describe(value)}); pass a float such "
                        f"as 1e-3, not a string or an array")
    if not value >= 0:  # also refuses NaN
        raise ValueError(f"{name} must be a non-negative number (got {value!r})")
    return float(value)


def check_em_options(tol, n_iter, n_init, *, iter_name: str) -> tuple[float, int, int]:
    """Validated ``(tol, n_iter, n_init)``; ``iter_name`` is the public name of the iteration budget."""
    return check_non_negative(tol, "tol"), check_positive_int(n_iter, iter_name), check_positive_int(n_init, "n_init")


def unchecked(cls, *values):
    """An instance of the dataclass ``cls`` holding ``values`` in field order, skipping ``__post_init__``.

    For results computed inside the EM loop, valid by construction, so that an iteration does not pay
    for checks the public constructor makes (for a GMM: a Cholesky factorisation per component).
    """
    obj = cls.__new__(cls)
    for f, value in zip(dataclasses.fields(cls), values, strict=True):
        object.__setattr__(obj, f.name, value)
    return obj


@dataclass(eq=False)
class EMFit:
    """Result of an EM fit (the base of ``GMMFit`` and ``HMMFit``).

    Attributes
    ----------
    params : object
        The fitted parameters (after the last M-step).
    log_likelihood_history : ndarray, shape (n_iter,)
        Mean log-likelihood per observation of the parameters entering each iteration's E-step.
    converged : bool
        Whether two consecutive entries of the history differed by less than ``tol``.
    n_iter : int
        Number of EM iterations run (of the kept run, when there were restarts).
    """

    params: object
    log_likelihood_history: np.ndarray = field(repr=False)
    converged: bool
    n_iter: int


def run_em(state, e_step, m_step, *, n_iter: int, tol: float):
    """One EM run from ``state``: ``(state, history (n,), converged)``.

    Each iteration is one E-step then one M-step (scikit-learn's and hmmlearn's order); it stops after
    the first iteration whose mean log-likelihood differs from the previous one by less than ``tol``.
    """
    history = []
    for _ in range(n_iter):
        stats, mean_log_likelihood = e_step(state)
        history.append(mean_log_likelihood)
        state = m_step(stats, state)
        if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
            return state, np.array(history), True
    return state, np.array(history), False


def fit_em(make_state, e_step, m_step, *, n_init: int, n_iter: int, tol: float, rng, what: str,
           iter_name: str):
    """Best of ``n_init`` runs of :func:`run_em`: ``(state, history, converged)`` of the kept run.

    ``make_state(rng)`` gives each run's start, drawing from the one generator ``rng`` in turn, so the
    first run of ``n_init=k`` is the single run with the same seed. The kept run is the one with the
    highest final log-likelihood (the first of equals). A ``ConvergenceWarning`` names ``what`` and
    the budget when ``tol > 0`` and the kept run did not converge.
    """
    best = None
    for _ in range(n_init):
        run = run_em(make_state(rng), e_step, m_step, n_iter=n_iter, tol=tol)
        if best is None or run[1][-1] > best[1][-1]:
            best = run
    if not best[2] and tol > 0:
        warnings.warn(f"{what} did not converge in {iter_name}={n_iter} iterations (tol={tol}); increase "
                      f"{iter_name} or tol, or check the data scale", ConvergenceWarning, stacklevel=3)
    return best


def warn_ignored_n_init(n_init: int, kind: str) -> None:
    """Warn that restarts were asked for with a fixed start, which would run the same fit n_init times."""
    if n_init > 1:
        warnings.warn(f"n_init={n_init} is ignored: init is a fixed {kind}, so every restart would give the "
                      f"same fit; pass a random initialisation to restart from different points",
                      UserWarning, stacklevel=3)
