"""Sampling from an HMM, and the thin ``HMM`` wrapper class (part of ``cu.hmm``; import from there)."""

from __future__ import annotations

import numpy as np

from . import _hmm_kernels as _k
from ._hmm_learning import baum_welch
from ._hmm_params import GaussianHMMParams, _check_params, decode, score, score_samples
from ._validation import check_positive_int, check_rng

__all__ = ["sample_hmm", "HMM"]


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

    Examples
    --------
    >>> from course_utils import hmm
    >>> params = hmm.CategoricalHMMParams([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]])
    >>> hmm.sample_hmm(params, 4, rng=0)  # a chain that alternates, each state emitting its own symbol
    (array([0, 1, 0, 1]), array([0, 1, 0, 1]))
    """
    _check_params(params)
    T = check_positive_int(n_steps, "n_steps")
    rng = check_rng(rng)
    states = _k.sample_states(params.startprob, params.transmat, rng.random(T))  # (T,)
    if isinstance(params, GaussianHMMParams):
        noise = rng.standard_normal((T, params.means.shape[1]))  # (T, D)
        return params.means[states] + np.sqrt(params.covars[states]) * noise, states
    cdf = np.cumsum(params.emissionprob, axis=1)[states]  # (T, M) row of each step's state
    obs = (rng.random(T)[:, None] >= cdf).sum(axis=1)  # inverse-CDF draw per step
    return np.minimum(obs, params.emissionprob.shape[1] - 1), states


class HMM:
    """A scikit-learn-style wrapper around the functions of :mod:`course_utils.hmm`: holds parameters.

    Every method is one call of the function of the same name with ``self.params``.

    Parameters
    ----------
    params : CategoricalHMMParams or GaussianHMMParams

    Attributes
    ----------
    params : CategoricalHMMParams or GaussianHMMParams
    log_likelihood_history_ : ndarray, shape (n_iter,)
        After :meth:`fit`: the :class:`HMMFit` history (mean log-likelihood per observation).
    converged_ : bool
        After :meth:`fit`.

    Examples
    --------
    >>> from course_utils import hmm
    >>> model = hmm.HMM(hmm.CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]]))
    >>> model.predict([0, 0, 1, 0, 0])
    array([0, 0, 1, 0, 0])
    >>> model.predict_proba([0, 0, 1, 0, 0]).shape
    (5, 2)
    """

    def __init__(self, params):
        _check_params(params)
        self.params = params

    def fit(self, obs, lengths=None, **kwargs):
        """Baum-Welch from the current parameters (keyword arguments go to :func:`baum_welch`)."""
        fit = baum_welch(obs, self.params, lengths=lengths, **kwargs)
        self.params, self.log_likelihood_history_, self.converged_ = fit.params, fit.log_likelihood_history, fit.converged
        return self

    def score_samples(self, obs, lengths=None) -> tuple[float, np.ndarray]:
        """Total log-likelihood and posteriors gamma (T, N) of all sequences (:func:`score_samples`)."""
        return score_samples(obs, self.params, lengths)

    def score(self, obs, lengths=None) -> float:
        """Total log-likelihood :math:`\\sum_{\\text{seq}} \\log p(x_{1:T})` (:func:`score`)."""
        return score(obs, self.params, lengths)

    def predict_proba(self, obs, lengths=None) -> np.ndarray:
        """Posterior state probabilities gamma, shape (T, N)."""
        return score_samples(obs, self.params, lengths)[1]

    def decode(self, obs, lengths=None) -> tuple[float, np.ndarray]:
        """Viterbi: summed best-path log probability and the path (T,) (:func:`decode`)."""
        return decode(obs, self.params, lengths)

    def predict(self, obs, lengths=None) -> np.ndarray:
        """Most probable state path (Viterbi), shape (T,)."""
        return decode(obs, self.params, lengths)[1]

    def sample(self, n_steps, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """(obs, states) by :func:`sample_hmm`."""
        return sample_hmm(self.params, n_steps, rng)
