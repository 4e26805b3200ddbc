r"""HMM parameter objects, their emissions, and inference from a parameter object (part of ``cu.hmm``).

:func:`log_inputs` turns parameters and observations into the three log arrays of the recursions in
``_hmm_inference``; :func:`score`, :func:`score_samples`, :func:`decode` and :func:`joint_log_prob`
do that and run them, over one or several concatenated sequences, so that no caller has to write
``np.log(params.transmat)``. Import these from :mod:`course_utils.hmm`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _hmm_kernels as _k
from ._hmm_inference import _smooth
from ._validation import (
    as_float_array,
    check_lengths,
    check_probability_vector,
    check_stochastic_matrix,
)

__all__ = ["CategoricalHMMParams", "GaussianHMMParams", "emission_log_likelihood", "log_inputs", "score",
           "score_samples", "decode", "joint_log_prob"]

_PARAMS_ERROR = "params must be CategoricalHMMParams or GaussianHMMParams (got {})"


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

    Examples
    --------
    >>> CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]]).n_components
    2
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

    Examples
    --------
    >>> GaussianHMMParams([1.0, 0.0], [[0.9, 0.1], [0.2, 0.8]], [[24.0], [16.0]], [[9.0], [12.25]]).means.shape
    (2, 1)
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


def _check_params(params):
    if not isinstance(params, (CategoricalHMMParams, GaussianHMMParams)):
        raise TypeError(_PARAMS_ERROR.format(type(params).__name__))


def _check_obs(obs, params):
    """Observations as (T,) int64 symbols or (T, D) floats, checked against ``params``."""
    _check_params(params)
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
    D = params.means.shape[1]
    arr = as_float_array(obs, "obs", ndim=(1, 2))
    if arr.ndim == 1 and D == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != D:
        raise ValueError(f"obs must have shape (T, {D}) to match means (got {arr.shape})")
    return arr


def _bounds(lengths, T):
    """[(start, stop), ...] of the concatenated sequences."""
    ends = np.cumsum(check_lengths(lengths, T))
    return list(zip(np.r_[0, ends[:-1]], ends))


def _log_chain(params):
    """(log_startprob (N,), log_transmat (N, N)), with log 0 = -inf and no warning."""
    with np.errstate(divide="ignore"):
        return np.log(params.startprob), np.log(params.transmat)


def emission_log_likelihood(obs, params) -> np.ndarray:
    r"""Log emission likelihoods of every observation under every state.

    Parameters
    ----------
    obs : array_like
        Shape (T,) (or (T, 1)) of int symbols for :class:`CategoricalHMMParams`; shape (T, D) of floats
        for :class:`GaussianHMMParams`.
    params : CategoricalHMMParams or GaussianHMMParams

    Returns
    -------
    log_emission : ndarray, shape (T, N)
        :math:`\log b_j(x_t)`: ``log emissionprob[j, x_t]``, or for Gaussians
        :math:`-\tfrac12\sum_d\big(\log 2\pi\sigma^2_{jd} + (x_{td}-\mu_{jd})^2/\sigma^2_{jd}\big)`.

    See Also
    --------
    log_inputs : this and the logs of ``startprob`` and ``transmat`` in one call.

    Examples
    --------
    >>> params = CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
    >>> np.exp(emission_log_likelihood([0, 1], params))
    array([[0.9, 0.2],
           [0.1, 0.8]])
    """
    return _emission(_check_obs(obs, params), params)


def _emission(obs, params):
    if isinstance(params, CategoricalHMMParams):
        with np.errstate(divide="ignore"):
            table = np.ascontiguousarray(np.log(params.emissionprob).T)  # (M, N): row k = log b_j(k)
        return np.take(table, obs, axis=0)  # (T, N); np.take, not table[obs]: see benchmarks/NOTES_classical.md
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


def log_inputs(obs, params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The three arrays that :func:`forward`, :func:`posteriors` and :func:`viterbi` take.

    Parameters
    ----------
    obs : array_like
        One sequence, as for :func:`emission_log_likelihood`.
    params : CategoricalHMMParams or GaussianHMMParams

    Returns
    -------
    log_startprob : ndarray, shape (N,)
        :math:`\log\pi_j`; a zero probability gives -inf (no warning).
    log_transmat : ndarray, shape (N, N)
        :math:`\log A_{ij}`.
    log_emission : ndarray, shape (T, N)
        :math:`\log b_j(x_t)`, from :func:`emission_log_likelihood`.

    See Also
    --------
    score, score_samples, decode : run the recursions on these arrays in one call.

    Examples
    --------
    >>> params = CategoricalHMMParams([1.0, 0.0], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
    >>> log_startprob, log_transmat, log_emission = log_inputs([0, 0, 1], params)
    >>> log_startprob, log_emission.shape
    (array([  0., -inf]), (3, 2))
    """
    log_emission = emission_log_likelihood(obs, params)
    return (*_log_chain(params), log_emission)


def score(obs, params, lengths=None) -> float:
    r"""Total log-likelihood of one or several sequences (forward algorithm).

    Parameters
    ----------
    obs : array_like
        All sequences concatenated: (T,) int symbols, or (T, D) floats for Gaussian emissions.
    params : CategoricalHMMParams or GaussianHMMParams
    lengths : array_like of int, optional
        Lengths of the sequences; must sum to T. ``None`` means one sequence.

    Returns
    -------
    float
        :math:`\sum_{\text{seq}} \log p(x_{1:T})`, in nats; -inf when a sequence is impossible.

    See Also
    --------
    forward : the same on log arrays, with the messages.

    Examples
    --------
    >>> params = CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
    >>> round(float(np.exp(score([0, 1], params))), 4)
    0.1985
    """
    obs = _check_obs(obs, params)
    log_startprob, log_transmat = _log_chain(params)
    log_emission, E, m = _scaled_emission(obs, params)  # (T, N), (T, N), (T,)
    return float(sum(_k.forward_scaled(log_startprob, log_transmat, log_emission[a:b], E[a:b], m[a:b])[0]
                     for a, b in _bounds(lengths, obs.shape[0])))


def score_samples(obs, params, lengths=None) -> tuple[float, np.ndarray]:
    r"""Total log-likelihood and posterior state probabilities (forward-backward).

    Parameters are those of :func:`score`.

    Returns
    -------
    log_prob : float
        :math:`\sum_{\text{seq}} \log p(x_{1:T})`.
    gamma : ndarray, shape (T, N)
        :math:`\gamma_t(j) = p(z_t = j \mid \text{its sequence})`; rows sum to one.

    Raises
    ------
    ValueError
        When a sequence has probability zero under ``params``.

    See Also
    --------
    posteriors : the same on log arrays, for one sequence.

    Examples
    --------
    >>> params = CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
    >>> score_samples([0, 0, 1, 0, 0], params)[1][0].round(4)  # Wikipedia's umbrella example
    array([0.8673, 0.1327])
    """
    obs = _check_obs(obs, params)
    log_startprob, log_transmat = _log_chain(params)
    log_emission, E, m = _scaled_emission(obs, params)  # (T, N), (T, N), (T,)
    results = [_smooth(log_startprob, log_transmat, log_emission[a:b], E[a:b], m[a:b])
               for a, b in _bounds(lengths, obs.shape[0])]
    gamma = results[0][1] if len(results) == 1 else np.concatenate([r[1] for r in results])  # (T, N)
    return float(sum(r[0] for r in results)), gamma


def decode(obs, params, lengths=None) -> tuple[float, np.ndarray]:
    r"""Viterbi: the most probable state path of every sequence.

    Parameters are those of :func:`score`.

    Returns
    -------
    log_prob : float
        :math:`\sum_{\text{seq}} \max_{z} \log p(x_{1:T}, z_{1:T})`.
    path : ndarray of int64, shape (T,)
        The concatenated best paths.

    See Also
    --------
    viterbi : the same on log arrays, for one sequence.

    Examples
    --------
    >>> params = CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
    >>> decode([0, 0, 1, 0, 0], params)[1]
    array([0, 0, 1, 0, 0])
    """
    obs = _check_obs(obs, params)
    log_startprob, log_transmat = _log_chain(params)
    log_emission = _emission(obs, params)  # (T, N)
    results = [_k.viterbi(log_startprob, log_transmat, log_emission[a:b]) for a, b in _bounds(lengths, obs.shape[0])]
    path = results[0][1] if len(results) == 1 else np.concatenate([r[1] for r in results])  # (T,)
    return float(sum(r[0] for r in results)), path


def joint_log_prob(obs, states, params, lengths=None) -> float:
    r"""Log-probability of observations together with one given hidden path.

    Parameters
    ----------
    obs : array_like
        As for :func:`score`.
    states : array_like of int, shape (T,)
        The hidden path, states 0..N-1.
    params : CategoricalHMMParams or GaussianHMMParams
    lengths : array_like of int, optional

    Returns
    -------
    float
        :math:`\log p(x_{1:T}, z_{1:T}) = \log\pi_{z_1} + \sum_{t\ge2} \log A_{z_{t-1} z_t}
        + \sum_t \log b_{z_t}(x_t)`, summed over sequences; -inf for an impossible path.

    See Also
    --------
    decode : the path that maximises this.

    Examples
    --------
    >>> params = CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
    >>> round(float(np.exp(joint_log_prob([0, 1], [0, 1], params))), 4)  # 0.5 * 0.9 * 0.3 * 0.8
    0.108
    """
    obs = _check_obs(obs, params)
    z = np.asarray(states)
    N = params.n_components
    if z.shape != (obs.shape[0],) or not np.issubdtype(z.dtype, np.integer) or z.min() < 0 or z.max() >= N:
        raise ValueError(f"states must be a path of {obs.shape[0]} integer states in 0..{N - 1}, one per "
                         f"observation (got shape {z.shape} and dtype {z.dtype})")
    log_startprob, log_transmat = _log_chain(params)
    log_emission = _emission(obs, params)  # (T, N)
    total = log_emission[np.arange(len(z)), z].sum()
    for a, b in _bounds(lengths, obs.shape[0]):
        total += log_startprob[z[a]] + log_transmat[z[a:b - 1], z[a + 1:b]].sum()
    return float(total)
