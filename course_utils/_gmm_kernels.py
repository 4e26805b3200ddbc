"""The numerics behind :func:`course_utils.mixtures.e_step` (private): Cholesky factors and a compiled loop.

With K between 2 and 10, NumPy spends most of an E-step on many short row-wise passes over (n, K)
arrays (subtract, square, sum, max, exp, sum, log). The matrix product that whitens the data stays in
BLAS; a Numba kernel then makes a single pass over the samples (single-threaded) for the rest. The
inputs are trusted: the public functions of ``mixtures`` validated them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_LOG_2PI = np.log(2.0 * np.pi)


def cholesky(covariances, hint, *, check_symmetric=True):
    """Lower Cholesky factors, shape (K, D, D), of symmetric positive definite matrices (K, D, D).

    Raises ``ValueError`` naming the matrix (and ``hint``, the remedy) when one is asymmetric (checked
    only with ``check_symmetric``) or not positive definite.
    """
    if check_symmetric:
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


def log_resp(X, weights, means, chol):
    """Log responsibilities (n, K) and log p(x_n) (n,) of X (n, D), given the Cholesky factors (K, D, D)."""
    K, D = means.shape
    prec_chol = np.linalg.inv(chol).transpose(0, 2, 1)  # (K, D, D) upper triangular L_k^-T
    half_log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)  # (K,) = 0.5 log|Sigma_k|
    with np.errstate(divide="ignore"):
        log_norm = np.log(weights) - half_log_det - 0.5 * D * _LOG_2PI  # (K,)
    P = prec_chol.transpose(1, 0, 2).reshape(D, K * D)  # (D, K*D): all K whitenings side by side
    shift = np.einsum("kd,kde->ke", means, prec_chol).reshape(K * D)  # (K*D,) mu_k^T P_k
    return log_resp_from_whitened(X @ P, shift, log_norm)  # (n, K), (n,)


@njit(cache=True)
def log_resp_from_whitened(XP, shift, log_norm):
    """Log responsibilities and per-sample log-likelihood from whitened data.

    Parameters
    ----------
    XP : (n, K * D) float64
        ``X @ P`` where column block k holds :math:`x_n^T P_k` and :math:`P_k = L_k^{-T}`.
    shift : (K * D,) float64
        Block k holds :math:`\\mu_k^T P_k`, so block k of ``XP - shift`` is the whitened residual.
    log_norm : (K,) float64
        :math:`\\log\\pi_k - \\tfrac12\\log|\\Sigma_k| - \\tfrac D2\\log 2\\pi`.

    Returns
    -------
    log_resp : (n, K) float64
        :math:`\\log r_{nk}`.
    log_px : (n,) float64
        :math:`\\log p(x_n)`.
    """
    n = XP.shape[0]
    K = log_norm.shape[0]
    D = XP.shape[1] // K
    log_resp = np.empty((n, K))
    log_px = np.empty(n)
    for i in range(n):
        top = -np.inf
        for k in range(K):
            maha = 0.0
            for d in range(k * D, (k + 1) * D):
                y = XP[i, d] - shift[d]
                maha += y * y
            v = log_norm[k] - 0.5 * maha
            log_resp[i, k] = v
            if v > top:
                top = v
        if top == -np.inf:  # zero density under every component (an overflowed distance)
            log_px[i] = -np.inf
            for k in range(K):
                log_resp[i, k] = -np.log(K)
            continue
        s = 0.0
        for k in range(K):
            s += np.exp(log_resp[i, k] - top)
        lse = top + np.log(s)
        log_px[i] = lse
        for k in range(K):
            log_resp[i, k] -= lse
    return log_resp, log_px
