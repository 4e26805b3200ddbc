"""Hidden Markov models from scratch: forward, backward, posteriors, Viterbi and Baum-Welch.

The three inference algorithms work on a (T, N) matrix of log emission likelihoods
``log_emission[t, j] = log p(x_t | z_t = j)``, so every emission model shares them; an emission model
only has to say how to build that matrix (:func:`emission_log_likelihood`) and how to re-estimate its
parameters from posteriors (inside :func:`baum_welch`). Everything is in log space and float64:
``log 0 = -inf`` is allowed (structural zeros), NaN never is. The recursions run in compiled kernels
(``_hmm_kernels``); the equations are in each docstring. Conventions follow hmmlearn, so that the same
parameters give the same numbers as ``hmmlearn.hmm.CategoricalHMM`` and ``GaussianHMM(covariance_type="diag")``.

Example
-------
>>> import numpy as np
>>> from course_utils import hmm
>>> params = hmm.CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
>>> log_prob, gamma = hmm.posteriors(np.log(params.startprob), np.log(params.transmat),
...                                  hmm.emission_log_likelihood([0, 0, 1, 0, 0], params))
>>> gamma[0].round(4)
array([0.8673, 0.1327])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _hmm_kernels as _k
from ._validation import (
    as_float_array,
    as_log_prob_array,
    check_lengths,
    check_log_normalized,
    check_positive_int,
    check_probability_vector,
    check_rng,
    check_stochastic_matrix,
)

__all__ = ["forward", "backward", "posteriors", "viterbi", "CategoricalHMMParams", "GaussianHMMParams", "HMM",
           "emission_log_likelihood", "HMMFit", "baum_welch", "sample_hmm"]

# ---------------------------------------------------------------------------------------- inference
def _check_log_inputs(log_startprob, log_transmat, log_emission):
    log_startprob = as_log_prob_array(log_startprob, "log_startprob", ndim=1)
    N = log_startprob.shape[0]
    log_transmat = as_log_prob_array(log_transmat, "log_transmat", ndim=2)
    if log_transmat.shape != (N, N):
        raise ValueError(f"log_transmat must have shape ({N}, {N}) to match log_startprob (got {log_transmat.shape})")
    log_emission = as_log_prob_array(log_emission, "log_emission", ndim=2)
    if log_emission.shape[1] != N:
        raise ValueError(f"log_emission must have shape (T, {N}), one column per state "
                         f"(got {log_emission.shape})")
    check_log_normalized(log_startprob, "log_startprob")
    check_log_normalized(log_transmat, "log_transmat")
    return log_startprob, log_transmat, log_emission


def forward(log_startprob, log_transmat, log_emission) -> tuple[float, np.ndarray]:
    """Forward algorithm: log-likelihood and log forward messages.

    Parameters
    ----------
    log_startprob : array_like, shape (N,)
        :math:`\\log \\pi_j`; may hold -inf.
    log_transmat : array_like, shape (N, N)
        :math:`\\log A_{ij} = \\log p(z_{t+1}=j \\mid z_t=i)`; may hold -inf.
    log_emission : array_like, shape (T, N)
        :math:`\\log b_j(x_t)`.

    Returns
    -------
    log_prob : float
        :math:`\\log p(x_{1:T}) = \\log\\sum_j \\alpha_T(j)`.
    log_alpha : ndarray, shape (T, N)
        :math:`\\log \\alpha_t(j) = \\log p(x_{1:t}, z_t = j)`.

    Notes
    -----
    .. math:: \\log\\alpha_1(j) = \\log\\pi_j + \\log b_j(x_1), \\qquad
              \\log\\alpha_t(j) = \\log b_j(x_t) + \\operatorname{logsumexp}_i\\big(\\log\\alpha_{t-1}(i) + \\log A_{ij}\\big)
    """
    log_startprob, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    return _forward(log_startprob, log_transmat, log_emission, *_k.shifted_exp(log_emission))


def _forward(log_startprob, log_transmat, log_emission, E, m):
    """(log_prob, log_alpha (T, N)) from the scaled kernel: one vectorised log on the fast rows."""
    log_prob, S, L, exact, log_alpha_exact = _k.forward_scaled(log_startprob, log_transmat, log_emission, E, m)
    with np.errstate(divide="ignore"):
        log_alpha = log_emission + np.log(S) + L[:, None]  # (T, N): log b_j(x_t) + log s_t(j) + L_t
    return float(log_prob), np.where(exact[:, None], log_alpha_exact, log_alpha)


def backward(log_startprob, log_transmat, log_emission) -> np.ndarray:
    """Backward algorithm: log backward messages.

    Parameters are those of :func:`forward` (``log_startprob`` is validated but not used).

    Returns
    -------
    log_beta : ndarray, shape (T, N)
        :math:`\\log \\beta_t(i) = \\log p(x_{t+1:T} \\mid z_t = i)`, with :math:`\\log\\beta_T = 0`.

    Notes
    -----
    .. math:: \\log\\beta_t(i) = \\operatorname{logsumexp}_j\\big(\\log A_{ij} + \\log b_j(x_{t+1}) + \\log\\beta_{t+1}(j)\\big)
    """
    _, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    S, L, exact, log_beta_exact = _k.backward_scaled(log_transmat, log_emission, *_k.shifted_exp(log_emission))
    with np.errstate(divide="ignore"):
        log_beta = np.log(S) + L[:, None]  # (T, N)
    return np.where(exact[:, None], log_beta_exact, log_beta)


def posteriors(log_startprob, log_transmat, log_emission) -> tuple[float, np.ndarray]:
    """Forward-backward smoothing: log-likelihood and posterior state probabilities.

    Parameters are those of :func:`forward`.

    Returns
    -------
    log_prob : float
    gamma : ndarray, shape (T, N)
        :math:`\\gamma_t(j) = p(z_t = j \\mid x_{1:T})` (probabilities, not logs); rows sum to one.

    Raises
    ------
    ValueError
        When the observations have probability zero under the model (posteriors are then undefined).

    Notes
    -----
    .. math:: \\gamma_t(j) = \\exp\\big(\\log\\alpha_t(j) + \\log\\beta_t(j) - \\log p(x_{1:T})\\big)
    """
    log_startprob, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    return _smooth(log_startprob, log_transmat, log_emission)


def _smooth(log_startprob, log_transmat, log_emission, E=None, m=None, *, with_xi=False):
    """(log_prob, gamma (T, N)[, xi_sum (N, N)]) of one sequence, refusing impossible sequences.

    Works on the kernels' scaled quantities (log_alpha and log_beta are never formed); ``E, m`` are the
    row-shifted emissions of :func:`_scaled_emission`, computed here when not given.
    """
    if E is None:
        E, m = _k.shifted_exp(log_emission)  # (T, N), (T,)
    log_prob, *fwd = _k.forward_scaled(log_startprob, log_transmat, log_emission, E, m)
    if log_prob == -np.inf:
        raise ValueError("the observations have probability zero under the model (log_prob = -inf), so "
                         "posteriors are undefined; check zeros in startprob, transmat and the emissions")
    bwd = _k.backward_scaled(log_transmat, log_emission, E, m)
    gamma = _k.gamma_scaled(log_emission, E, *fwd, *bwd)  # (T, N)
    if not with_xi:
        return float(log_prob), gamma
    return float(log_prob), gamma, _k.xi_sum_scaled(log_transmat, log_emission, E, *fwd, *bwd)


def viterbi(log_startprob, log_transmat, log_emission) -> tuple[float, np.ndarray]:
    """Viterbi decoding: the single most probable state sequence.

    Parameters are those of :func:`forward`.

    Returns
    -------
    log_prob : float
        :math:`\\max_{z_{1:T}} \\log p(x_{1:T}, z_{1:T})` (never above the forward ``log_prob``).
    path : ndarray of int64, shape (T,)
        The maximising states; ties go to the lowest state index.

    Notes
    -----
    .. math:: \\delta_1(j) = \\log\\pi_j + \\log b_j(x_1), \\qquad
              \\delta_t(j) = \\log b_j(x_t) + \\max_i\\big(\\delta_{t-1}(i) + \\log A_{ij}\\big),

    with back-pointers :math:`\\psi_t(j) = \\arg\\max_i(\\cdot)` followed from
    :math:`z_T = \\arg\\max_j \\delta_T(j)`.
    """
    log_startprob, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    log_prob, path = _k.viterbi(log_startprob, log_transmat, log_emission)
    return float(log_prob), path


# ---------------------------------------------------------------------------------- emission models
def _check_chain(startprob, transmat):
    startprob = check_probability_vector(startprob, "startprob")
    N = startprob.shape[0]
    return startprob, check_stochastic_matrix(transmat, "transmat", shape=(N, N))


@dataclass(eq=False)
class CategoricalHMMParams:
    """HMM with categorical emissions over symbols 0..M-1.

    Parameters
    ----------
    startprob : array_like, shape (N,)
    transmat : array_like, shape (N, N)
        Row-stochastic; zeros are structural and stay zero under :func:`baum_welch`.
    emissionprob : array_like, shape (N, M)
        Row-stochastic: ``emissionprob[j, k] = p(x_t = k | z_t = j)``.
    """

    startprob: np.ndarray
    transmat: np.ndarray
    emissionprob: np.ndarray

    def __post_init__(self):
        self.startprob, self.transmat = _check_chain(self.startprob, self.transmat)
        self.emissionprob = check_stochastic_matrix(self.emissionprob, "emissionprob")
        if self.emissionprob.shape[0] != self.startprob.shape[0]:
            raise ValueError(f"emissionprob must have one row per state ({self.startprob.shape[0]}) "
                             f"(got shape {self.emissionprob.shape})")

    @property
    def n_components(self) -> int:
        """Number of hidden states N."""
        return self.startprob.shape[0]


@dataclass(eq=False)
class GaussianHMMParams:
    """HMM with Gaussian emissions with diagonal covariances.

    Parameters
    ----------
    startprob : array_like, shape (N,)
    transmat : array_like, shape (N, N)
    means : array_like, shape (N, D)
    covars : array_like, shape (N, D)
        Positive per-feature variances (the diagonal of each state's covariance).
    """

    startprob: np.ndarray
    transmat: np.ndarray
    means: np.ndarray
    covars: np.ndarray

    def __post_init__(self):
        self.startprob, self.transmat = _check_chain(self.startprob, self.transmat)
        N = self.startprob.shape[0]
        self.means = as_float_array(self.means, "means", ndim=2)
        self.covars = as_float_array(self.covars, "covars", ndim=2)
        if self.means.shape[0] != N or self.covars.shape != self.means.shape:
            raise ValueError(f"means and covars must both have shape ({N}, D), one row per state "
                             f"(got {self.means.shape} and {self.covars.shape})")
        if (self.covars <= 0).any():
            raise ValueError(f"covars must be positive variances (found {self.covars.min():.3g}); a zero "
                             "variance is a singular covariance")

    @property
    def n_components(self) -> int:
        """Number of hidden states N."""
        return self.startprob.shape[0]


def _check_obs(obs, params):
    """Observations as (T,) int64 symbols or (T, D) floats, checked against ``params``."""
    if isinstance(params, CategoricalHMMParams):
        arr = np.asarray(obs)
        if arr.ndim == 2 and arr.shape[1] == 1:  # hmmlearn's (T, 1) layout
            arr = arr[:, 0]
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"obs must be a non-empty 1-D array of symbols (got shape {arr.shape})")
        if not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"obs must hold integer symbols 0..{params.emissionprob.shape[1] - 1} "
                            f"(got dtype {arr.dtype}); encode labels with np.unique(..., return_inverse=True)")
        M = params.emissionprob.shape[1]
        if arr.min() < 0 or arr.max() >= M:
            raise ValueError(f"obs symbols must lie in 0..{M - 1} (got values from {arr.min()} to {arr.max()})")
        return arr.astype(np.int64)
    if isinstance(params, GaussianHMMParams):
        D = params.means.shape[1]
        arr = as_float_array(obs, "obs", ndim=(1, 2))
        if arr.ndim == 1 and D == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != D:
            raise ValueError(f"obs must have shape (T, {D}) to match means (got {arr.shape})")
        return arr
    raise TypeError(f"params must be CategoricalHMMParams or GaussianHMMParams (got {type(params).__name__})")


def emission_log_likelihood(obs, params) -> np.ndarray:
    """Log emission likelihoods of every observation under every state.

    Parameters
    ----------
    obs : array_like
        Shape (T,) (or (T, 1)) of int symbols for :class:`CategoricalHMMParams`; shape (T, D) of floats
        for :class:`GaussianHMMParams`.
    params : CategoricalHMMParams or GaussianHMMParams

    Returns
    -------
    log_emission : ndarray, shape (T, N)
        :math:`\\log b_j(x_t)`: ``log emissionprob[j, x_t]``, or for Gaussians
        :math:`-\\tfrac12\\sum_d\\big(\\log 2\\pi\\sigma^2_{jd} + (x_{td}-\\mu_{jd})^2/\\sigma^2_{jd}\\big)`.
    """
    return _emission(_check_obs(obs, params), params)


def _emission(obs, params):
    if isinstance(params, CategoricalHMMParams):
        with np.errstate(divide="ignore"):
            table = np.ascontiguousarray(np.log(params.emissionprob).T)  # (M, N): row k = log b_j(k)
        return np.take(table, obs, axis=0)  # (T, N), much faster than table[obs]
    # -0.5 * sum_d [log(2 pi var_jd) + (x_td - mu_jd)^2 / var_jd], one compiled pass over (T, N, D)
    return _k.gaussian_diag_log_emission(obs, params.means, params.covars)  # (T, N)


def _scaled_emission(obs, params):
    """(log_emission (T, N), E (T, N), m (T,)) with E = exp(log_emission - m[:, None]).

    For categorical emissions E and m are looked up from per-symbol tables, so no exp or log runs per
    time step (E = emissionprob / its column maximum, the same numbers up to rounding).
    """
    if isinstance(params, GaussianHMMParams):
        log_emission = _emission(obs, params)  # (T, N)
        return (log_emission, *_k.shifted_exp(log_emission))
    B = params.emissionprob  # (N, M)
    top = B.max(axis=0)  # (M,) best state's probability for each symbol
    safe = np.where(top > 0, top, 1.0)  # (M,) symbols no state emits: E = 0, m = 0
    with np.errstate(divide="ignore"):
        log_B = np.log(B)  # (N, M)
    tables = [np.ascontiguousarray(log_B.T), np.ascontiguousarray((B / safe).T), np.log(safe)]  # (M, N) (M, N) (M,)
    return tuple(np.take(table, obs, axis=0) for table in tables)  # (T, N), (T, N), (T,)


# ------------------------------------------------------------------------------------ Baum-Welch
@dataclass(eq=False)
class HMMFit:
    """Result of :func:`baum_welch`.

    Attributes
    ----------
    params : CategoricalHMMParams or GaussianHMMParams
    log_likelihood_history : ndarray, shape (n_iter,)
        Total log-likelihood (summed over sequences) of the parameters entering each iteration.
    converged : bool
    n_iter : int
    """

    params: object
    log_likelihood_history: np.ndarray = field(repr=False)
    converged: bool
    n_iter: int


def _keep_where_empty(new, old, mass):
    """Rows with no posterior mass keep their old values (nothing to re-estimate them from)."""
    return np.where((mass > 0)[:, None], new, old)


def _m_step(obs, gamma, start, trans, params, covars_prior):
    """Re-estimate every parameter from the expected counts of one E-step."""
    startprob = start / start.sum()  # (N,)
    transmat = _keep_where_empty(trans / np.maximum(trans.sum(1, keepdims=True), 1e-300), params.transmat,
                                 trans.sum(1))  # (N, N)
    post = gamma.sum(axis=0)  # (N,) expected visits
    if isinstance(params, CategoricalHMMParams):
        M = params.emissionprob.shape[1]
        counts = np.stack([np.bincount(obs, weights=g, minlength=M) for g in gamma.T])  # (N, M)
        emis = _keep_where_empty(counts / np.maximum(post, 1e-300)[:, None], params.emissionprob, post)
        return CategoricalHMMParams(startprob, transmat, emis)
    safe = np.maximum(post, 1e-300)[:, None]  # (N, 1)
    means = _keep_where_empty(gamma.T @ obs / safe, params.means, post)  # (N, D)
    sq = np.stack([g @ (obs - m) ** 2 for g, m in zip(gamma.T, means)])  # (N, D) weighted squared deviations
    covars = _keep_where_empty((covars_prior + sq) / safe, params.covars, post)  # (N, D)
    if not (covars > 0).all():
        i = int(np.argwhere(~(covars > 0))[0, 0])
        raise ValueError(f"the variance of state {i} collapsed to {covars.min():.3g} (a singular covariance): "
                         "the state explains (almost) a single value; pass covars_prior > 0 (hmmlearn uses "
                         "1e-2), use fewer states, or scale / de-duplicate the data")
    return GaussianHMMParams(startprob, transmat, means, covars)


def baum_welch(obs, init, *, lengths=None, n_iter=100, tol=1e-6, covars_prior=0.0) -> HMMFit:
    """Fit an HMM by Baum-Welch (EM), starting from ``init``.

    Parameters
    ----------
    obs : array_like
        All sequences concatenated: (T,) int symbols, or (T, D) floats for Gaussian emissions.
    init : CategoricalHMMParams or GaussianHMMParams
        Starting parameters; their type picks the emission model.
    lengths : array_like of int, shape (n_sequences,), optional
        Lengths of the concatenated sequences; must sum to T. ``None`` means one sequence.
    n_iter : int, default 100
    tol : float, default 1e-6
        Stop when the total log-likelihood changes by less than ``tol``. With 0, exactly ``n_iter``
        iterations run (hmmlearn's ``fit`` with ``init_params=""`` and ``tol=0``) and no warning is given.
    covars_prior : float, default 0.0
        Gaussian only: added to the numerator of every variance, as hmmlearn's ``covars_prior``
        (hmmlearn's default is 1e-2; 0 gives the plain maximum-likelihood estimate).

    Returns
    -------
    HMMFit

    Raises
    ------
    ValueError
        On bad input, a sequence with probability zero under ``init``, or a collapsed variance.

    Warns
    -----
    ConvergenceWarning
        When ``tol > 0`` and the log-likelihood was still changing after ``n_iter`` iterations.

    Notes
    -----
    With :math:`\\gamma_t(j)` and :math:`\\xi_t(i,j) = p(z_t=i, z_{t+1}=j \\mid x)` from forward-backward:

    .. math:: \\pi_j \\propto \\sum_{\\text{seq}} \\gamma_1(j), \\quad
              A_{ij} \\propto \\sum_t \\xi_t(i,j), \\quad
              B_{jk} \\propto \\sum_t \\gamma_t(j)[x_t = k], \\quad
              \\mu_j = \\frac{\\sum_t \\gamma_t(j) x_t}{\\sum_t \\gamma_t(j)}, \\quad
              \\sigma^2_{jd} = \\frac{c + \\sum_t \\gamma_t(j)(x_{td}-\\mu_{jd})^2}{\\sum_t \\gamma_t(j)}

    Zeros in ``startprob`` and ``transmat`` stay zero. Differences from hmmlearn, which only matter for
    states that are (almost) never visited: a state or row with no posterior mass keeps its previous
    parameters (hmmlearn leaves a row of zeros, or NaN), and the variance denominator is the plain
    :math:`\\sum_t\\gamma_t(j)` (hmmlearn floors it at 1e-5 expected visits).
    """
    obs = _check_obs(obs, init)
    lengths = check_lengths(lengths, obs.shape[0])
    n_iter = check_positive_int(n_iter, "n_iter")
    if not np.isscalar(tol) or not tol >= 0:
        raise ValueError(f"tol must be a non-negative number (got {tol!r})")
    if not np.isscalar(covars_prior) or not covars_prior >= 0:
        raise ValueError(f"covars_prior must be a non-negative number (got {covars_prior!r})")
    bounds = np.concatenate([[0], np.cumsum(lengths)])  # sequence s is obs[bounds[s]:bounds[s+1]]

    params, history, converged = init, [], False
    for _ in range(n_iter):
        with np.errstate(divide="ignore"):
            log_startprob, log_transmat = np.log(params.startprob), np.log(params.transmat)
        log_emission, E, m = _scaled_emission(obs, params)  # (T, N), (T, N), (T,)
        gamma = np.empty_like(log_emission)  # (T, N)
        start, trans, total = np.zeros(params.n_components), np.zeros_like(log_transmat), 0.0
        for s, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            try:
                log_prob, gamma[a:b], xi_sum = _smooth(log_startprob, log_transmat, log_emission[a:b], E[a:b],
                                                       m[a:b], with_xi=True)
            except ValueError:
                raise ValueError(f"sequence {s} has probability zero under the current parameters; check "
                                 "zeros in the initial startprob, transmat and emissions") from None
            start += gamma[a]
            trans += xi_sum
            total += log_prob
        history.append(total)
        params = _m_step(obs, gamma, start, trans, params, covars_prior)
        if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
            converged = True
            break
    if not converged and tol > 0:
        warnings.warn(f"Baum-Welch did not converge in n_iter={n_iter} iterations (tol={tol}); increase n_iter "
                      "or tol", ConvergenceWarning, stacklevel=2)
    return HMMFit(params, np.array(history), converged, len(history))


def sample_hmm(params, n_steps, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Ancestral sampling: a state path from the Markov chain, then one emission per step.

    Parameters
    ----------
    params : CategoricalHMMParams or GaussianHMMParams
    n_steps : int
    rng : numpy.random.Generator, int or None

    Returns
    -------
    obs : ndarray
        (n_steps,) int symbols, or (n_steps, D) floats for Gaussian emissions.
    states : ndarray of int64, shape (n_steps,)
    """
    if not isinstance(params, (CategoricalHMMParams, GaussianHMMParams)):
        raise TypeError(f"params must be CategoricalHMMParams or GaussianHMMParams (got {type(params).__name__})")
    T = check_positive_int(n_steps, "n_steps")
    rng = check_rng(rng)
    states = _k.sample_states(params.startprob, params.transmat, rng.random(T))  # (T,)
    if isinstance(params, GaussianHMMParams):
        noise = rng.standard_normal((T, params.means.shape[1]))  # (T, D)
        return params.means[states] + np.sqrt(params.covars[states]) * noise, states
    cdf = np.cumsum(params.emissionprob, axis=1)[states]  # (T, M) row of each step's state
    obs = (rng.random(T)[:, None] >= cdf).sum(axis=1)  # inverse-CDF draw per step
    return np.minimum(obs, params.emissionprob.shape[1] - 1), states


# ----------------------------------------------------------------------------- thin wrapper class
class HMM:
    """A scikit-learn-style wrapper around the functions above: holds parameters, nothing else.

    Parameters
    ----------
    params : CategoricalHMMParams or GaussianHMMParams

    Examples
    --------
    >>> model = HMM(params).fit(obs, n_iter=20)  # doctest: +SKIP
    >>> model.predict_proba(obs).shape                    # doctest: +SKIP
    (T, N)
    """

    def __init__(self, params):
        if not isinstance(params, (CategoricalHMMParams, GaussianHMMParams)):
            raise TypeError(f"params must be CategoricalHMMParams or GaussianHMMParams (got {type(params).__name__})")
        self.params = params

    def _sequences(self, obs, lengths, scaled=True):
        obs = _check_obs(obs, self.params)
        bounds = np.concatenate([[0], np.cumsum(check_lengths(lengths, obs.shape[0]))])
        with np.errstate(divide="ignore"):
            log_start, log_trans = np.log(self.params.startprob), np.log(self.params.transmat)
        if scaled:
            log_emission, E, m = _scaled_emission(obs, self.params)  # (T, N), (T, N), (T,)
            for a, b in zip(bounds[:-1], bounds[1:]):
                yield log_start, log_trans, log_emission[a:b], E[a:b], m[a:b]
        else:
            log_emission = _emission(obs, self.params)  # (T, N)
            for a, b in zip(bounds[:-1], bounds[1:]):
                yield log_start, log_trans, log_emission[a:b]

    def fit(self, obs, lengths=None, **kwargs):
        """Baum-Welch from the current parameters (keyword arguments go to :func:`baum_welch`)."""
        fit = baum_welch(obs, self.params, lengths=lengths, **kwargs)
        self.params, self.log_likelihood_history_, self.converged_ = fit.params, fit.log_likelihood_history, fit.converged
        return self

    def score_samples(self, obs, lengths=None) -> tuple[float, np.ndarray]:
        """Total log-likelihood and posteriors gamma (T, N) of all sequences."""
        results = [_smooth(*seq) for seq in self._sequences(obs, lengths)]
        gamma = results[0][1] if len(results) == 1 else np.concatenate([r[1] for r in results])
        return float(sum(r[0] for r in results)), gamma

    def score(self, obs, lengths=None) -> float:
        """Total log-likelihood :math:`\\sum_{\\text{seq}} \\log p(x_{1:T})`."""
        return self.score_samples(obs, lengths)[0]

    def predict_proba(self, obs, lengths=None) -> np.ndarray:
        """Posterior state probabilities gamma, shape (T, N)."""
        return self.score_samples(obs, lengths)[1]

    def decode(self, obs, lengths=None) -> tuple[float, np.ndarray]:
        """Viterbi: summed best-path log probability and the path (T,)."""
        results = [_k.viterbi(*seq) for seq in self._sequences(obs, lengths, scaled=False)]
        path = results[0][1] if len(results) == 1 else np.concatenate([r[1] for r in results])
        return float(sum(r[0] for r in results)), path

    def predict(self, obs, lengths=None) -> np.ndarray:
        """Most probable state path (Viterbi), shape (T,)."""
        return self.decode(obs, lengths)[1]

    def sample(self, n_steps, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """(obs, states) by :func:`sample_hmm`."""
        return sample_hmm(self.params, n_steps, rng)
