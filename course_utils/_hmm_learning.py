r"""Baum-Welch: EM for hidden Markov models (part of ``cu.hmm``; import from :mod:`course_utils.hmm`).

The E-step is forward-backward on every sequence (``_hmm_inference._smooth``), the M-step the
expected-count formulas of :func:`baum_welch`; the loop, the restarts and the warnings are the EM
driver shared with :func:`course_utils.mixtures.fit_gmm` (``course_utils._em``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._em import EMFit, check_em_options, check_non_negative, fit_em, unchecked, warn_ignored_n_init
from ._hmm_inference import _smooth
from ._hmm_params import (
    CategoricalHMMParams,
    GaussianHMMParams,
    _bounds,
    _check_obs,
    _check_params,
    _log_chain,
    _scaled_emission,
)
from ._validation import check_rng

__all__ = ["HMMFit", "baum_welch"]


@dataclass(eq=False)
class HMMFit(EMFit):
    """Result of :func:`baum_welch`.

    Attributes
    ----------
    params : CategoricalHMMParams or GaussianHMMParams
    log_likelihood_history : ndarray, shape (n_iter,)
        Mean log-likelihood per observation, :math:`\\frac1T\\sum_{\\text{seq}} \\log p(x_{1:T})` with T
        the total number of time steps, of the parameters entering each iteration's E-step; the same
        meaning as in :class:`course_utils.mixtures.GMMFit`. Multiply by T for hmmlearn's
        ``monitor_.history`` (totals).
    converged : bool
    n_iter : int
        Number of iterations run (by the kept run, with restarts).
    """


def _keep_where_empty(new, old, mass):
    """Rows with no posterior mass keep their old values (nothing to re-estimate them from)."""
    return np.where((mass > 0)[:, None], new, old)


def _e_step(obs, bounds, params):
    """Expected counts ((gamma (T, N), start (N,), trans (N, N)), mean log-likelihood per observation)."""
    log_startprob, log_transmat = _log_chain(params)
    log_emission, E, m = _scaled_emission(obs, params)  # (T, N), (T, N), (T,)
    gamma = np.empty_like(log_emission)  # (T, N)
    start, trans, total = np.zeros(params.n_components), np.zeros_like(log_transmat), 0.0
    for s, (a, b) in enumerate(bounds):
        try:
            log_prob, gamma[a:b], xi_sum = _smooth(log_startprob, log_transmat, log_emission[a:b], E[a:b], m[a:b],
                                                   with_xi=True)
        except ValueError:
            raise ValueError(f"sequence {s} has probability zero under the current parameters; check "
                             "zeros in the initial startprob, transmat and emissions") from None
        start += gamma[a]
        trans += xi_sum
        total += log_prob
    return (gamma, start, trans), total / obs.shape[0]


def _m_step(obs, counts, params, covars_prior):
    """Re-estimate every parameter from the expected counts of one E-step (valid by construction)."""
    gamma, start, trans = counts
    startprob = start / start.sum()  # (N,)
    transmat = _keep_where_empty(trans / np.maximum(trans.sum(1, keepdims=True), 1e-300), params.transmat,
                                 trans.sum(1))  # (N, N)
    post = gamma.sum(axis=0)  # (N,) expected visits
    if isinstance(params, CategoricalHMMParams):
        M = params.emissionprob.shape[1]
        counts = np.stack([np.bincount(obs, weights=g, minlength=M) for g in gamma.T])  # (N, M)
        emis = _keep_where_empty(counts / np.maximum(post, 1e-300)[:, None], params.emissionprob, post)
        return unchecked(CategoricalHMMParams, startprob, transmat, emis)
    safe = np.maximum(post, 1e-300)[:, None]  # (N, 1)
    means = _keep_where_empty(gamma.T @ obs / safe, params.means, post)  # (N, D)
    sq = np.stack([g @ (obs - m) ** 2 for g, m in zip(gamma.T, means)])  # (N, D) weighted squared deviations
    covars = _keep_where_empty((covars_prior + sq) / safe, params.covars, post)  # (N, D)
    if not (covars > 0).all():
        i = int(np.argwhere(~(covars > 0))[0, 0])
        raise ValueError(f"the variance of state {i} collapsed to {covars.min():.3g} (a singular covariance): "
                         "the state explains (almost) a single value; pass covars_prior > 0 (hmmlearn uses "
                         "1e-2), use fewer states, or scale / de-duplicate the data")
    return unchecked(GaussianHMMParams, startprob, transmat, means, covars)


def _shape(params):
    return type(params), params.n_components, (params.emissionprob if hasattr(params, "emissionprob")
                                               else params.means).shape[1]


def _starts(init, n_init, rng):
    """(first start, make_start(rng), n_init): a fixed start, or draws of a random initialiser."""
    if not callable(init):
        _check_params(init)
        warn_ignored_n_init(n_init, type(init).__name__)
        return init, (lambda _rng: init), 1
    first, drawn = init(rng), []

    def make_start(r):
        params = init(r) if drawn else first
        drawn.append(True)
        if _shape(params) != _shape(first):
            raise ValueError(f"init(rng) must return parameters of one type and shape every time (got "
                             f"{type(params).__name__} with shape {_shape(params)[1:]} after {_shape(first)[1:]})")
        return params

    _check_params(first)
    return first, make_start, n_init


def baum_welch(obs, init, *, lengths=None, n_iter=100, tol=1e-6, covars_prior=0.0, n_init=1,
               rng=None) -> HMMFit:
    r"""Fit an HMM by Baum-Welch (EM), from ``init`` or from the best of several random starts.

    Parameters
    ----------
    obs : array_like
        All sequences concatenated: (T,) int symbols, or (T, D) floats for Gaussian emissions.
    init : CategoricalHMMParams, GaussianHMMParams or callable
        Starting parameters (their type picks the emission model), or a function ``init(rng)`` that
        draws random starting parameters from the generator it is given (one call per restart).
    lengths : array_like of int, shape (n_sequences,), optional
        Lengths of the concatenated sequences; must sum to T. ``None`` means one sequence.
    n_iter : int, default 100
    tol : float, default 1e-6
        Stop when the mean log-likelihood per observation changes by less than ``tol`` (hmmlearn's
        ``tol`` is on the total: divide it by T). With 0, exactly ``n_iter`` iterations run
        (hmmlearn's ``fit`` with ``init_params=""``) and no warning is given.
    covars_prior : float, default 0.0
        Gaussian only: added to the numerator of every variance, as hmmlearn's ``covars_prior``
        (hmmlearn's default is 1e-2; 0 gives the plain maximum-likelihood estimate).
    n_init : int, default 1
        Restarts with a callable ``init``; the fit with the highest final log-likelihood is kept.
        The starts are drawn in turn from ``rng``, so the first is the single run with the same seed.
    rng : numpy.random.Generator, int or None
        Passed to ``init`` when it is callable.

    Returns
    -------
    HMMFit
        Its ``log_likelihood_history`` is per observation, as in :func:`course_utils.mixtures.fit_gmm`.

    Raises
    ------
    TypeError, ValueError
        On bad input (e.g. ``tol="1e-3"``), a sequence with probability zero under the start, or a
        collapsed variance.

    Warns
    -----
    ConvergenceWarning
        When ``tol > 0`` and the kept run was still changing after ``n_iter`` iterations.

    See Also
    --------
    course_utils.mixtures.fit_gmm : the same EM loop for Gaussian mixtures.
    expected_transitions : the E-step's :math:`\sum_t \xi_t(i, j)` for one sequence.

    Notes
    -----
    With :math:`\gamma_t(j)` and :math:`\xi_t(i,j) = p(z_t=i, z_{t+1}=j \mid x)` from forward-backward:

    .. math:: \pi_j \propto \sum_{\text{seq}} \gamma_1(j), \quad
              A_{ij} \propto \sum_t \xi_t(i,j), \quad
              B_{jk} \propto \sum_t \gamma_t(j)[x_t = k], \quad
              \mu_j = \frac{\sum_t \gamma_t(j) x_t}{\sum_t \gamma_t(j)}, \quad
              \sigma^2_{jd} = \frac{c + \sum_t \gamma_t(j)(x_{td}-\mu_{jd})^2}{\sum_t \gamma_t(j)}

    Zeros in ``startprob`` and ``transmat`` stay zero. Differences from hmmlearn, which only matter for
    states that are (almost) never visited: a state or row with no posterior mass keeps its previous
    parameters (hmmlearn leaves a row of zeros, or NaN), and the variance denominator is the plain
    :math:`\sum_t\gamma_t(j)` (hmmlearn floors it at 1e-5 expected visits).

    Examples
    --------
    >>> from course_utils import hmm
    >>> truth = hmm.CategoricalHMMParams([1, 0], [[0.9, 0.1], [0.1, 0.9]], [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    >>> obs, _ = hmm.sample_hmm(truth, 500, rng=0)
    >>> def random_start(rng):
    ...     return hmm.CategoricalHMMParams([0.5, 0.5], rng.dirichlet([1, 1], size=2),
    ...                                     rng.dirichlet([1, 1, 1], size=2))
    >>> fit = hmm.baum_welch(obs, random_start, n_init=3, rng=0, n_iter=200)
    >>> fit.converged, fit.params.transmat.shape
    (True, (2, 2))
    """
    tol, n_iter, n_init = check_em_options(tol, n_iter, n_init, iter_name="n_iter")
    covars_prior = check_non_negative(covars_prior, "covars_prior")
    rng = check_rng(rng)
    first, make_start, n_init = _starts(init, n_init, rng)
    obs = _check_obs(obs, first)
    bounds = _bounds(lengths, obs.shape[0])  # sequence s is obs[a:b] for (a, b) = bounds[s]
    params, history, converged = fit_em(make_start, lambda p: _e_step(obs, bounds, p),
                                        lambda counts, p: _m_step(obs, counts, p, covars_prior), n_init=n_init,
                                        n_iter=n_iter, tol=tol, rng=rng, what="Baum-Welch", iter_name="n_iter")
    return HMMFit(params, history, converged, len(history))
