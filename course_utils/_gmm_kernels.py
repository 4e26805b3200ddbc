"""Compiled loop behind :func:`course_utils.mixtures.e_step` (private).

With K between 2 and 10, NumPy spends most of an E-step on many short row-wise passes over (n, K)
arrays (subtract, square, sum, max, exp, sum, log). The matrix product that whitens the data stays in
BLAS; this Numba kernel then makes a single pass over the samples (single-threaded) for the rest.
"""

from __future__ import annotations

import numpy as np
from numba import njit


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
