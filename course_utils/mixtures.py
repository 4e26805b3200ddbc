"""Gaussian mixture models fitted by expectation-maximisation, written from scratch.

The maths of one iteration lives in :func:`e_step` and :func:`m_step`; :func:`fit_gmm` hands them to
the EM loop shared with Baum-Welch (``course_utils._em``: stopping rule, restarts, warnings). All in
float64, Gaussians through a Cholesky factor, responsibilities in log space with log-sum-exp: the same
numbers as scikit-learn's ``GaussianMixture(covariance_type="full")`` from the same start.

Example
-------
>>> import numpy as np
>>> from course_utils import mixtures
>>> X = np.r_[np.random.default_rng(0).normal(-2, 1, (200, 1)), np.random.default_rng(1).normal(3, 1, (200, 1))]
>>> fit = mixtures.fit_gmm(X, 2, rng=0)
>>> np.sort(fit.params.means.ravel()).round(0)
array([-2.,  3.])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _gmm_kernels as _kernels
from ._em import EMFit, check_em_options, check_non_negative, fit_em, unchecked, warn_ignored_n_init
from ._gmm_kernels import cholesky as _cholesky
from ._validation import as_float_array, check_positive_int, check_probability_vector, check_rng
from .clustering import kmeans

__all__ = ["GMMParams", "GMMFit", "log_likelihood", "e_step", "m_step", "fit_gmm", "sample_gmm", "bic"]

_SINGULAR_HINT = ("the component has collapsed onto too few (or identical) points; increase reg_covar, "
                  "use fewer components, or scale the input data (e.g. to unit variance)")


@dataclass(eq=False)
class GMMParams:
    r"""Parameters of a Gaussian mixture with full covariances.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixing proportions :math:`\pi_k`, non-negative and summing to one.
    means : array_like, shape (K, D)
        Component means :math:`\mu_k`.
    covariances : array_like, shape (K, D, D)
        Symmetric positive definite component covariances :math:`\Sigma_k`.

    Raises
    ------
    ValueError
        When shapes disagree, weights are not a probability vector, or a covariance is not
        symmetric positive definite.

    Examples
    --------
    >>> GMMParams([0.3, 0.7], [[-1.0], [2.0]], [[[0.5]], [[2.0]]]).n_components
    2
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    def __post_init__(self):
        self.weights = check_probability_vector(self.weights, "weights")
        self.means = as_float_array(self.means, "means", ndim=2)
        self.covariances = as_float_array(self.covariances, "covariances", ndim=3)
        K, D = self.means.shape
        if self.weights.shape != (K,):
            raise ValueError(f"weights must have shape ({K},) to match means of shape {self.means.shape} "
                             f"(got {self.weights.shape})")
        if self.covariances.shape != (K, D, D):
            raise ValueError(f"covariances must have shape ({K}, {D}, {D}) to match means of shape "
                             f"{self.means.shape} (got {self.covariances.shape})")
        _cholesky(self.covariances, "a Gaussian needs a positive definite covariance; add a small constant to "
                  "its diagonal (as reg_covar does in fit_gmm) or scale the data")

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return self.means.shape[0]


@dataclass(eq=False)
class GMMFit(EMFit):
    """Result of :func:`fit_gmm`.

    Attributes
    ----------
    params : GMMParams
    log_likelihood_history : ndarray, shape (n_iter,)
        Mean log-likelihood per data point, :math:`\\frac1n\\sum_n \\log p(x_n)`, of the parameters
        entering each iteration's E-step (the last entry is scikit-learn's ``lower_bound_``); the same
        meaning as in :class:`course_utils.hmm.HMMFit`.
    converged : bool
    n_iter : int
        Number of EM iterations run (by the kept run, with restarts).
    """


def _check_X(X, D=None):
    X = as_float_array(X, "X", ndim=2)
    if D is not None and X.shape[1] != D:
        raise ValueError(f"X must have {D} features to match the means (got X of shape {X.shape})")
    return X


def _log_resp(X, params, chol=None):
    """Log responsibilities (n, K) and per-sample log-likelihood (n,); ``chol`` when the caller has it."""
    if chol is None:
        chol = _cholesky(params.covariances, _SINGULAR_HINT)  # (K, D, D), Sigma_k = L_k L_k^T
    return _kernels.log_resp(X, params.weights, params.means, chol)  # (n, K), (n,)


def log_likelihood(X, params: GMMParams) -> np.ndarray:
    r"""Per-sample log density of the mixture.

    Parameters
    ----------
    X : array_like, shape (n, D)
    params : GMMParams

    Returns
    -------
    ndarray, shape (n,)
        :math:`\log p(x_n) = \log \sum_k \pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k)`.

    See Also
    --------
    e_step : the same quantity averaged, with the responsibilities.

    Examples
    --------
    >>> params = GMMParams([1.0], [[0.0]], [[[1.0]]])
    >>> log_likelihood([[0.0]], params).round(4)  # -0.5 log(2 pi)
    array([-0.9189])
    """
    X = _check_X(X, params.means.shape[1])
    return _log_resp(X, params)[1]


def e_step(X, params: GMMParams) -> tuple[np.ndarray, float]:
    r"""E-step: log responsibilities and the mean log-likelihood.

    Parameters
    ----------
    X : array_like, shape (n, D)
    params : GMMParams

    Returns
    -------
    log_resp : ndarray, shape (n, K)
        :math:`\log r_{nk}`; each row of ``exp(log_resp)`` sums to one.
    mean_log_likelihood : float
        :math:`\frac1n \sum_n \log p(x_n)` under ``params`` (averaged, not summed).

    See Also
    --------
    m_step : the other half of an EM iteration.

    Notes
    -----
    .. math:: \log r_{nk} = \log \pi_k + \log \mathcal{N}(x_n \mid \mu_k, \Sigma_k)
              - \log \sum_j \pi_j \mathcal{N}(x_n \mid \mu_j, \Sigma_j)

    Examples
    --------
    >>> params = GMMParams([0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]])
    >>> log_resp, mean_ll = e_step([[0.0]], params)
    >>> np.exp(log_resp).round(2)
    array([[0.5, 0.5]])
    """
    X = _check_X(X, params.means.shape[1])
    log_resp, log_px = _log_resp(X, params)  # (n, K), (n,)
    return log_resp, float(log_px.mean())


def m_step(X, resp, *, reg_covar: float = 1e-6) -> GMMParams:
    r"""M-step: maximum-likelihood parameters given responsibilities.

    Parameters
    ----------
    X : array_like, shape (n, D)
    resp : array_like, shape (n, K)
        Responsibilities :math:`r_{nk}` (probabilities, not logs); rows sum to one.
    reg_covar : float, default 1e-6
        Non-negative constant added to the diagonal of every covariance.

    Returns
    -------
    GMMParams

    Raises
    ------
    ValueError
        On bad shapes or values, or when a covariance is singular (the message names the remedy).

    See Also
    --------
    e_step : gives the responsibilities, as logs.

    Notes
    -----
    With :math:`N_k = \sum_n r_{nk}`:

    .. math:: \pi_k = \frac{N_k}{n},\quad \mu_k = \frac{1}{N_k}\sum_n r_{nk} x_n,\quad
              \Sigma_k = \frac{1}{N_k}\sum_n r_{nk}(x_n-\mu_k)(x_n-\mu_k)^\top + \epsilon I

    :math:`N_k` gets ``10 * machine epsilon`` added, as scikit-learn does, so that an empty component
    gives a covariance of :math:`\epsilon I` instead of 0/0.

    Examples
    --------
    >>> m_step([[0.0], [2.0], [10.0]], [[1, 0], [1, 0], [0, 1]], reg_covar=0.0).means.round(6)
    array([[ 1.],
           [10.]])
    """
    X = _check_X(X)
    resp = as_float_array(resp, "resp", ndim=2)
    if resp.shape[0] != X.shape[0]:
        raise ValueError(f"resp must have one row per sample of X ({X.shape[0]}) (got {resp.shape})")
    if (resp < 0).any():
        raise ValueError(f"resp must be non-negative (found {resp.min():.3g})")
    return _m_step(X, resp, check_non_negative(reg_covar, "reg_covar"))[0]


def _m_step(X, resp, reg_covar):
    """(GMMParams, Cholesky factors (K, D, D)): the M-step and the one factorisation it needs."""
    n, D = X.shape
    nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps  # (K,)
    means = (resp.T @ X) / nk[:, None]  # (K, D)
    covariances = np.empty((len(nk), D, D))  # (K, D, D)
    for k in range(len(nk)):
        diff = X - means[k]  # (n, D)
        covariances[k] = (resp[:, k, None] * diff).T @ diff / nk[k]  # (D, D)
        covariances[k].flat[:: D + 1] += reg_covar
    # symmetric by construction; a singular one fails here, naming the remedy, not in the next E-step
    chol = _cholesky(covariances, _SINGULAR_HINT, check_symmetric=False)  # (K, D, D)
    return unchecked(GMMParams, nk / nk.sum(), means, covariances), chol


def _init_state(X, K, init, reg_covar, rng):
    """Starting (params, chol): an M-step on k-means labels ("kmeans") or random data points ("random")."""
    n, D = X.shape
    if init == "random":
        centers = X[rng.choice(n, size=K, replace=False)]  # (K, D)
        cov = np.cov(X, rowvar=False).reshape(D, D) + reg_covar * np.eye(D)  # (D, D)
        covs = np.repeat(cov[None], K, axis=0)  # (K, D, D)
        return unchecked(GMMParams, np.full(K, 1.0 / K), centers, covs), _cholesky(covs, _SINGULAR_HINT)
    labels = kmeans(X, K, rng=rng).labels  # (n,) hard assignments from k-means++ and Lloyd's iterations
    resp = np.zeros((n, K))
    resp[np.arange(n), labels] = 1.0
    return _m_step(X, resp, reg_covar)


def fit_gmm(X, n_components, *, init="kmeans", max_iter=100, tol=1e-6, reg_covar=1e-6, n_init=1,
            rng=None) -> GMMFit:
    r"""Fit a Gaussian mixture with full covariances by EM.

    Parameters
    ----------
    X : array_like, shape (n, D)
    n_components : int
        Number of components K (at most n).
    init : {"kmeans", "random"} or GMMParams, default "kmeans"
        "kmeans": :func:`course_utils.clustering.kmeans` (k-means++), then an M-step on its labels.
        "random": K distinct data points as means, the data covariance for every component.
        A GMMParams starts from those parameters (``n_init`` is then ignored, with a warning).
    max_iter : int, default 100
    tol : float, default 1e-6
        Stop when the mean log-likelihood per data point changes by less than ``tol``. With 0, exactly
        ``max_iter`` iterations run, each one E-step then one M-step (scikit-learn's sequence), and
        no ConvergenceWarning is given.
    reg_covar : float, default 1e-6
    n_init : int, default 1
        Number of initialisations, drawn in turn from ``rng`` (so the first is the single run with
        the same seed); the fit with the highest final log-likelihood is kept.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    GMMFit
        Its ``log_likelihood_history`` is per data point, as in :func:`course_utils.hmm.baum_welch`.

    Raises
    ------
    TypeError, ValueError
        On bad input (e.g. ``tol="1e-3"``: a string), or a covariance that becomes singular.

    Warns
    -----
    ConvergenceWarning
        When ``tol > 0`` and the best run did not converge within ``max_iter`` iterations.

    See Also
    --------
    course_utils.hmm.baum_welch : the same EM loop for hidden Markov models.

    Notes
    -----
    With ``reg_covar=0`` no iteration lowers :math:`\frac1n\sum_n \log p(x_n)`; with ``reg_covar > 0``
    it can decrease slightly. Inside the loop nothing is validated again: each M-step factorises every
    covariance once, and the next E-step reuses the factors.

    Examples
    --------
    >>> X = np.r_[np.zeros((50, 1)), np.full((50, 1), 10.0)] + np.random.default_rng(0).normal(size=(100, 1))
    >>> fit = fit_gmm(X, 2, n_init=2, rng=0)
    >>> fit.converged, np.sort(fit.params.means.ravel()).round(0)
    (True, array([ 0., 10.]))
    """
    X = _check_X(X)
    K = check_positive_int(n_components, "n_components")
    if K > X.shape[0]:
        raise ValueError(f"n_components must be <= n_samples (got n_components={K} for X of shape {X.shape})")
    tol, max_iter, n_init = check_em_options(tol, max_iter, n_init, iter_name="max_iter")
    reg_covar = check_non_negative(reg_covar, "reg_covar")
    rng = check_rng(rng)
    if isinstance(init, GMMParams):
        if init.means.shape != (K, X.shape[1]):
            raise ValueError(f"init must have means of shape {(K, X.shape[1])} (got {init.means.shape})")
        warn_ignored_n_init(n_init, "GMMParams")
        start = (init, _cholesky(init.covariances, _SINGULAR_HINT))
        make_state, n_init = (lambda _rng: start), 1
    elif isinstance(init, str) and init in ("kmeans", "random"):
        make_state = lambda r: _init_state(X, K, init, reg_covar, r)
    else:
        raise ValueError(f"init must be 'kmeans', 'random' or a GMMParams (got {init!r})")

    def e(state):
        log_resp, log_px = _log_resp(X, *state)  # (n, K), (n,): reuses the M-step's factors
        return log_resp, float(log_px.mean())

    def m(log_resp, state):
        return _m_step(X, np.exp(log_resp), reg_covar)

    (params, _), history, converged = fit_em(make_state, e, m, n_init=n_init, n_iter=max_iter, tol=tol, rng=rng,
                                             what="EM", iter_name="max_iter")
    return GMMFit(params, history, converged, len(history))


def sample_gmm(params: GMMParams, n, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw samples by ancestral sampling: first the component, then the point.

    Parameters
    ----------
    params : GMMParams
    n : int
        Number of samples.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray, shape (n, D)
    z : ndarray of int, shape (n,)
        Component of each sample.

    Examples
    --------
    >>> X, z = sample_gmm(GMMParams([0.5, 0.5], [[0.0], [5.0]], [[[1.0]], [[1.0]]]), 4, rng=0)
    >>> X.shape, z.shape
    ((4, 1), (4,))
    """
    n = check_positive_int(n, "n")
    rng = check_rng(rng)
    chol = _cholesky(params.covariances, _SINGULAR_HINT)  # (K, D, D)
    z = rng.choice(params.n_components, size=n, p=params.weights)  # (n,)
    eps = rng.standard_normal((n, params.means.shape[1]))  # (n, D)
    X = np.empty_like(eps)
    for k in range(params.n_components):
        idx = z == k
        X[idx] = params.means[k] + eps[idx] @ chol[k].T  # (n_k, D): mu + L eps
    return X, z


def bic(X, params: GMMParams) -> float:
    r"""Bayesian information criterion (lower is better).

    Parameters
    ----------
    X : array_like, shape (n, D)
    params : GMMParams

    Returns
    -------
    float
        :math:`-2 \sum_n \log p(x_n) + p \log n` with :math:`p = (K-1) + KD + KD(D+1)/2` free
        parameters (the same count as scikit-learn).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> bic(X, fit_gmm(X, 1, rng=0).params) < bic(X, fit_gmm(X, 3, rng=0).params)
    True
    """
    X = _check_X(X, params.means.shape[1])
    K, D = params.means.shape
    n_free = (K - 1) + K * D + K * D * (D + 1) // 2
    return float(-2.0 * log_likelihood(X, params).sum() + n_free * np.log(X.shape[0]))
