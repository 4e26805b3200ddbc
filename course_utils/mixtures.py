"""Gaussian mixture models fitted by expectation-maximisation, written from scratch.

The EM loop lives in :func:`fit_gmm`; the maths of one iteration lives in :func:`e_step` and
:func:`m_step`. Everything is float64, Gaussians go through a Cholesky factor, and responsibilities
are computed in log space with log-sum-exp, so the code gives the same numbers as scikit-learn's
``GaussianMixture(covariance_type="full")`` from the same starting parameters.

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

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _gmm_kernels as _kernels
from ._validation import as_float_array, check_positive_int, check_probability_vector, check_rng
from .clustering import kmeans

__all__ = ["GMMParams", "GMMFit", "log_likelihood", "e_step", "m_step", "fit_gmm", "sample_gmm", "bic"]

_LOG_2PI = np.log(2.0 * np.pi)
_SINGULAR_HINT = ("the component has collapsed onto too few (or identical) points; increase reg_covar, "
                  "use fewer components, or scale the input data (e.g. to unit variance)")


@dataclass(eq=False)
class GMMParams:
    """Parameters of a Gaussian mixture with full covariances.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixing proportions :math:`\\pi_k`, non-negative and summing to one.
    means : array_like, shape (K, D)
        Component means :math:`\\mu_k`.
    covariances : array_like, shape (K, D, D)
        Symmetric positive definite component covariances :math:`\\Sigma_k`.

    Raises
    ------
    ValueError
        When shapes disagree, weights are not a probability vector, or a covariance is not
        symmetric positive definite.
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
class GMMFit:
    """Result of :func:`fit_gmm`.

    Attributes
    ----------
    params : GMMParams
        The fitted parameters.
    log_likelihood_history : ndarray, shape (n_iter,)
        Mean per-sample log-likelihood of the parameters entering each iteration's E-step.
    converged : bool
        Whether the change in mean log-likelihood dropped below ``tol``.
    n_iter : int
        Number of EM iterations run.
    """

    params: GMMParams
    log_likelihood_history: np.ndarray = field(repr=False)
    converged: bool
    n_iter: int


def _cholesky(covariances, hint):
    """Lower Cholesky factors, shape (K, D, D), of symmetric positive definite matrices (K, D, D)."""
    scale = np.abs(covariances).max(axis=(1, 2))  # (K,)
    asym = np.abs(covariances - covariances.transpose(0, 2, 1)).max(axis=(1, 2))  # (K,)
    if (asym > 1e-8 * scale).any():
        k = int(np.argmax(asym > 1e-8 * scale))
        raise ValueError(f"covariances[{k}] must be symmetric (got an asymmetry of {asym[k]:.3g})")
    chol = np.empty_like(covariances)
    for k, cov in enumerate(covariances):
        try:
            chol[k] = np.linalg.cholesky(cov)  # (D, D), cov = L L^T
        except np.linalg.LinAlgError:
            raise ValueError(f"covariances[{k}] is singular or not positive definite "
                             f"(smallest eigenvalue {np.linalg.eigvalsh(cov)[0]:.3g}): {hint}") from None
    return chol


def _check_X(X, D=None):
    X = as_float_array(X, "X", ndim=2)
    if D is not None and X.shape[1] != D:
        raise ValueError(f"X must have {D} features to match the means (got X of shape {X.shape})")
    return X


def _log_resp(X, params):
    """Log responsibilities (n, K) and per-sample log-likelihood (n,) through the compiled kernel."""
    K, D = params.means.shape
    chol = _cholesky(params.covariances, _SINGULAR_HINT)  # (K, D, D), Sigma_k = L_k L_k^T
    prec_chol = np.linalg.inv(chol).transpose(0, 2, 1)  # (K, D, D) upper triangular L_k^-T
    half_log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)  # (K,) = 0.5 log|Sigma_k|
    with np.errstate(divide="ignore"):
        log_norm = np.log(params.weights) - half_log_det - 0.5 * D * _LOG_2PI  # (K,)
    P = prec_chol.transpose(1, 0, 2).reshape(D, K * D)  # (D, K*D): all K whitenings side by side
    shift = np.einsum("kd,kde->ke", params.means, prec_chol).reshape(K * D)  # (K*D,) mu_k^T P_k
    return _kernels.log_resp_from_whitened(X @ P, shift, log_norm)  # (n, K), (n,)


def log_likelihood(X, params: GMMParams) -> np.ndarray:
    """Per-sample log density of the mixture.

    Parameters
    ----------
    X : array_like, shape (n, D)
    params : GMMParams

    Returns
    -------
    ndarray, shape (n,)
        :math:`\\log p(x_n) = \\log \\sum_k \\pi_k \\mathcal{N}(x_n \\mid \\mu_k, \\Sigma_k)`.
    """
    X = _check_X(X, params.means.shape[1])
    return _log_resp(X, params)[1]


def e_step(X, params: GMMParams) -> tuple[np.ndarray, float]:
    """E-step: log responsibilities and the mean log-likelihood.

    Parameters
    ----------
    X : array_like, shape (n, D)
    params : GMMParams

    Returns
    -------
    log_resp : ndarray, shape (n, K)
        :math:`\\log r_{nk}`; each row of ``exp(log_resp)`` sums to one.
    mean_log_likelihood : float
        :math:`\\frac1n \\sum_n \\log p(x_n)` under ``params`` (averaged, not summed).

    Notes
    -----
    .. math:: \\log r_{nk} = \\log \\pi_k + \\log \\mathcal{N}(x_n \\mid \\mu_k, \\Sigma_k)
              - \\log \\sum_j \\pi_j \\mathcal{N}(x_n \\mid \\mu_j, \\Sigma_j)
    """
    return _e_step(_check_X(X, params.means.shape[1]), params)


def _e_step(X, params):
    log_resp, log_px = _log_resp(X, params)  # (n, K), (n,)
    return log_resp, float(log_px.mean())


def m_step(X, resp, *, reg_covar: float = 1e-6) -> GMMParams:
    """M-step: maximum-likelihood parameters given responsibilities.

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

    Notes
    -----
    With :math:`N_k = \\sum_n r_{nk}`:

    .. math:: \\pi_k = \\frac{N_k}{n},\\quad \\mu_k = \\frac{1}{N_k}\\sum_n r_{nk} x_n,\\quad
              \\Sigma_k = \\frac{1}{N_k}\\sum_n r_{nk}(x_n-\\mu_k)(x_n-\\mu_k)^\\top + \\epsilon I

    :math:`N_k` gets ``10 * machine epsilon`` added, as scikit-learn does, so that an empty component
    gives a covariance of :math:`\\epsilon I` instead of 0/0.
    """
    X = _check_X(X)
    resp = as_float_array(resp, "resp", ndim=2)
    if resp.shape[0] != X.shape[0]:
        raise ValueError(f"resp must have one row per sample of X ({X.shape[0]}) (got {resp.shape})")
    if (resp < 0).any():
        raise ValueError(f"resp must be non-negative (found {resp.min():.3g})")
    if not np.isscalar(reg_covar) or not reg_covar >= 0:
        raise ValueError(f"reg_covar must be a non-negative number (got {reg_covar!r})")
    return _m_step(X, resp, reg_covar)


def _m_step(X, resp, reg_covar):
    n, D = X.shape
    nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps  # (K,)
    means = (resp.T @ X) / nk[:, None]  # (K, D)
    covariances = np.empty((len(nk), D, D))  # (K, D, D)
    for k in range(len(nk)):
        diff = X - means[k]  # (n, D)
        covariances[k] = (resp[:, k, None] * diff).T @ diff / nk[k]  # (D, D)
        covariances[k].flat[:: D + 1] += reg_covar
    _cholesky(covariances, _SINGULAR_HINT)  # fail here, naming the remedy, not in the next E-step
    return GMMParams(nk / nk.sum(), means, covariances)


def _init_params(X, K, init, reg_covar, rng):
    """Starting parameters: an M-step on k-means labels ("kmeans") or random data points ("random")."""
    n, D = X.shape
    if init == "random":
        centers = X[rng.choice(n, size=K, replace=False)]  # (K, D)
        cov = np.cov(X, rowvar=False).reshape(D, D) + reg_covar * np.eye(D)  # (D, D)
        return GMMParams(np.full(K, 1.0 / K), centers, np.repeat(cov[None], K, axis=0))
    labels = kmeans(X, K, rng=rng).labels  # (n,) hard assignments from k-means++ and Lloyd's iterations
    resp = np.zeros((n, K))
    resp[np.arange(n), labels] = 1.0
    return _m_step(X, resp, reg_covar)


def fit_gmm(X, n_components, *, init="kmeans", max_iter=100, tol=1e-6, reg_covar=1e-6, n_init=1,
            rng=None) -> GMMFit:
    """Fit a Gaussian mixture with full covariances by EM.

    Parameters
    ----------
    X : array_like, shape (n, D)
    n_components : int
        Number of components K (at most n).
    init : {"kmeans", "random"} or GMMParams, default "kmeans"
        "kmeans": :func:`course_utils.clustering.kmeans` (k-means++ seeding), then one M-step on its
        hard labels.
        "random": K distinct data points as means, the data covariance for every component.
        A GMMParams starts from those parameters (``n_init`` is then ignored).
    max_iter : int, default 100
    tol : float, default 1e-6
        Stop when the mean log-likelihood changes by less than ``tol``. With 0, exactly
        ``max_iter`` iterations run, each one E-step then one M-step (scikit-learn's sequence), and
        no ConvergenceWarning is given.
    reg_covar : float, default 1e-6
    n_init : int, default 1
        Number of initialisations; the fit with the highest final log-likelihood is kept.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    GMMFit

    Warns
    -----
    ConvergenceWarning
        When ``tol > 0`` and the best run did not converge within ``max_iter`` iterations.

    Notes
    -----
    Every iteration increases :math:`\\frac1n\\sum_n \\log p(x_n)` or leaves it unchanged.
    """
    X = _check_X(X)
    K = check_positive_int(n_components, "n_components")
    if K > X.shape[0]:
        raise ValueError(f"n_components must be <= n_samples (got n_components={K} for X of shape {X.shape})")
    if isinstance(init, GMMParams):
        if init.means.shape != (K, X.shape[1]):
            raise ValueError(f"init must have means of shape {(K, X.shape[1])} (got {init.means.shape})")
        n_init = 1
    elif init not in ("kmeans", "random"):
        raise ValueError(f"init must be 'kmeans', 'random' or a GMMParams (got {init!r})")
    max_iter = check_positive_int(max_iter, "max_iter")
    n_init = check_positive_int(n_init, "n_init")
    if not np.isscalar(tol) or not tol >= 0:
        raise ValueError(f"tol must be a non-negative number (got {tol!r})")
    if not np.isscalar(reg_covar) or not reg_covar >= 0:
        raise ValueError(f"reg_covar must be a non-negative number (got {reg_covar!r})")
    rng = check_rng(rng)

    best = None
    for _ in range(n_init):
        params = init if isinstance(init, GMMParams) else _init_params(X, K, init, reg_covar, rng)
        history, converged = [], False
        for _ in range(max_iter):
            log_resp, mean_ll = _e_step(X, params)
            params = _m_step(X, np.exp(log_resp), reg_covar)
            history.append(mean_ll)
            if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
                converged = True
                break
        fit = GMMFit(params, np.array(history), converged, len(history))
        if best is None or fit.log_likelihood_history[-1] > best.log_likelihood_history[-1]:
            best = fit
    if not best.converged and tol > 0:
        warnings.warn(f"EM did not converge in max_iter={max_iter} iterations (tol={tol}); increase "
                      "max_iter or tol, or check the data scale", ConvergenceWarning, stacklevel=2)
    return best


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
    """Bayesian information criterion (lower is better).

    Parameters
    ----------
    X : array_like, shape (n, D)
    params : GMMParams

    Returns
    -------
    float
        :math:`-2 \\sum_n \\log p(x_n) + p \\log n` with :math:`p = (K-1) + KD + KD(D+1)/2` free
        parameters (the same count as scikit-learn).
    """
    X = _check_X(X, params.means.shape[1])
    K, D = params.means.shape
    n_free = (K - 1) + K * D + K * D * (D + 1) // 2
    return float(-2.0 * log_likelihood(X, params).sum() + n_free * np.log(X.shape[0]))
