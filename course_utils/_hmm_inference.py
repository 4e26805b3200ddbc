r"""Forward, backward, posteriors, expected transitions and Viterbi on log arrays (part of ``cu.hmm``).

Every function here takes the same three arrays: ``log_startprob`` (N,), ``log_transmat`` (N, N) and
``log_emission`` (T, N) with ``log_emission[t, j] = log p(x_t | z_t = j)``, so every emission model
shares them. :func:`course_utils.hmm.log_inputs` builds the three from a parameter object and the
observations. The recursions run in compiled kernels (``_hmm_kernels``); the equations are in each
docstring. Import these from :mod:`course_utils.hmm`.
"""

from __future__ import annotations

import numpy as np

from . import _hmm_kernels as _k
from ._validation import as_log_prob_array, check_log_normalized

__all__ = ["forward", "backward", "posteriors", "expected_transitions", "viterbi"]


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
    r"""Forward algorithm: log-likelihood and log forward messages.

    Parameters
    ----------
    log_startprob : array_like, shape (N,)
        :math:`\log \pi_j`; may hold -inf.
    log_transmat : array_like, shape (N, N)
        :math:`\log A_{ij} = \log p(z_{t+1}=j \mid z_t=i)`; may hold -inf.
    log_emission : array_like, shape (T, N)
        :math:`\log b_j(x_t)`.

    Returns
    -------
    log_prob : float
        :math:`\log p(x_{1:T}) = \log\sum_j \alpha_T(j)` (-inf for an impossible sequence).
    log_alpha : ndarray, shape (T, N)
        :math:`\log \alpha_t(j) = \log p(x_{1:t}, z_t = j)`.

    See Also
    --------
    backward, posteriors, viterbi : the other recursions on the same three arrays.
    course_utils.hmm.score : the log-likelihood from a parameter object and observations.

    Notes
    -----
    .. math:: \log\alpha_1(j) = \log\pi_j + \log b_j(x_1), \qquad
              \log\alpha_t(j) = \log b_j(x_t) + \operatorname{logsumexp}_i\big(\log\alpha_{t-1}(i) + \log A_{ij}\big)

    Examples
    --------
    >>> log_prob, log_alpha = forward(np.log([0.5, 0.5]), np.log([[0.7, 0.3], [0.3, 0.7]]),
    ...                               np.log([[0.9, 0.2], [0.1, 0.8]]))  # umbrella, then none
    >>> round(float(np.exp(log_prob)), 4), log_alpha.shape
    (0.1985, (2, 2))
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
    r"""Backward algorithm: log backward messages.

    Parameters are those of :func:`forward` (``log_startprob`` is validated but not used).

    Returns
    -------
    log_beta : ndarray, shape (T, N)
        :math:`\log \beta_t(i) = \log p(x_{t+1:T} \mid z_t = i)`, with :math:`\log\beta_T = 0`.

    See Also
    --------
    forward : the messages from the other end.

    Notes
    -----
    .. math:: \log\beta_t(i) = \operatorname{logsumexp}_j\big(\log A_{ij} + \log b_j(x_{t+1}) + \log\beta_{t+1}(j)\big)

    Examples
    --------
    >>> backward(np.log([0.5, 0.5]), np.log([[0.7, 0.3], [0.3, 0.7]]), np.log([[0.9, 0.2], [0.1, 0.8]]))[-1]
    array([0., 0.])
    """
    _, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    S, L, exact, log_beta_exact = _k.backward_scaled(log_transmat, log_emission, *_k.shifted_exp(log_emission))
    with np.errstate(divide="ignore"):
        log_beta = np.log(S) + L[:, None]  # (T, N)
    return np.where(exact[:, None], log_beta_exact, log_beta)


def posteriors(log_startprob, log_transmat, log_emission) -> tuple[float, np.ndarray]:
    r"""Forward-backward smoothing: log-likelihood and posterior state probabilities.

    Parameters are those of :func:`forward`.

    Returns
    -------
    log_prob : float
    gamma : ndarray, shape (T, N)
        :math:`\gamma_t(j) = p(z_t = j \mid x_{1:T})` (probabilities, not logs); rows sum to one.

    Raises
    ------
    ValueError
        When the observations have probability zero under the model (posteriors are then undefined).

    See Also
    --------
    expected_transitions : the posterior of each transition, summed over time.
    course_utils.hmm.score_samples : the same from a parameter object and observations.

    Notes
    -----
    .. math:: \gamma_t(j) = \exp\big(\log\alpha_t(j) + \log\beta_t(j) - \log p(x_{1:T})\big)

    Examples
    --------
    >>> _, gamma = posteriors(np.log([0.5, 0.5]), np.log([[0.7, 0.3], [0.3, 0.7]]), np.log([[0.9, 0.2]]))
    >>> gamma.round(4)  # one umbrella day: 0.45 / (0.45 + 0.1)
    array([[0.8182, 0.1818]])
    """
    log_startprob, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    return _smooth(log_startprob, log_transmat, log_emission)


def expected_transitions(log_startprob, log_transmat, log_emission) -> np.ndarray:
    r"""Expected number of transitions between every pair of states, given the whole sequence.

    Parameters are those of :func:`forward`.

    Returns
    -------
    xi_sum : ndarray, shape (N, N)
        :math:`\sum_{t=1}^{T-1} \xi_t(i, j)` with :math:`\xi_t(i, j) = p(z_t = i, z_{t+1} = j \mid x_{1:T})`;
        the entries sum to T - 1, and a zero in ``exp(log_transmat)`` stays zero. Baum-Welch's new
        transition matrix is this with its rows normalised.

    Raises
    ------
    ValueError
        When the observations have probability zero under the model.

    See Also
    --------
    posteriors : the state posteriors :math:`\gamma_t(j)`.

    Notes
    -----
    .. math:: \xi_t(i, j) = \exp\big(\log\alpha_t(i) + \log A_{ij} + \log b_j(x_{t+1})
              + \log\beta_{t+1}(j) - \log p(x_{1:T})\big)

    Examples
    --------
    >>> xi = expected_transitions(np.log([0.5, 0.5]), np.log([[0.7, 0.3], [0.3, 0.7]]),
    ...                           np.log([[0.9, 0.2], [0.9, 0.2], [0.1, 0.8]]))
    >>> float(xi.sum())  # T - 1 transitions
    2.0
    """
    log_startprob, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    return _smooth(log_startprob, log_transmat, log_emission, with_xi=True)[2]


def _smooth(log_startprob, log_transmat, log_emission, E=None, m=None, *, with_xi=False):
    """(log_prob, gamma (T, N)[, xi_sum (N, N)]) of one sequence, refusing impossible sequences.

    Works on the kernels' scaled quantities (log_alpha and log_beta are never formed); ``E, m`` are the
    row-shifted emissions (``_hmm_params._scaled_emission``), computed here when not given.
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
    r"""Viterbi decoding: the single most probable state sequence.

    Parameters are those of :func:`forward`.

    Returns
    -------
    log_prob : float
        :math:`\max_{z_{1:T}} \log p(x_{1:T}, z_{1:T})` (never above the forward ``log_prob``).
    path : ndarray of int64, shape (T,)
        The maximising states; ties go to the lowest state index.

    See Also
    --------
    course_utils.hmm.decode : the same from a parameter object and observations.
    course_utils.hmm.joint_log_prob : :math:`\log p(x_{1:T}, z_{1:T})` of any given path.

    Notes
    -----
    .. math:: \delta_1(j) = \log\pi_j + \log b_j(x_1), \qquad
              \delta_t(j) = \log b_j(x_t) + \max_i\big(\delta_{t-1}(i) + \log A_{ij}\big),

    with back-pointers :math:`\psi_t(j) = \arg\max_i(\cdot)` followed from
    :math:`z_T = \arg\max_j \delta_T(j)`.

    Examples
    --------
    >>> viterbi(np.log([0.5, 0.5]), np.log([[0.7, 0.3], [0.3, 0.7]]), np.log([[0.9, 0.2], [0.1, 0.8]]))[1]
    array([0, 1])
    """
    log_startprob, log_transmat, log_emission = _check_log_inputs(log_startprob, log_transmat, log_emission)
    log_prob, path = _k.viterbi(log_startprob, log_transmat, log_emission)
    return float(log_prob), path
