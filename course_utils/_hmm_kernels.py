"""Compiled recursions behind :mod:`course_utils.hmm` (private).

The public functions of ``cu.hmm`` state the maths; these Numba kernels run it, single-threaded.

Forward and backward run as scaled recursions in linear space, as in Rabiner's "scaling" (hmmlearn's
``implementation="scaling"``; timings in benchmarks/NOTES_classical.md), renormalising only when the
scaled state drops below 1e-100: a step costs N^2 multiply-adds and no exp or log. They still give
exact log messages. Each step stores its linear prediction, e.g.
:math:`s_t(j) = \\sum_i \\hat\\alpha_{t-1}(i) A_{ij}`, and the log scale :math:`L_t`;
:math:`\\log\\alpha_t(j) = \\log b_j(x_t) + \\log s_t(j) + L_t` is formed at the end with one vectorised
log, so the emission term never passes through exp on its way out (a state whose emission is e^-5000
times the best keeps its finite log value). When a prediction falls below 1e-290 while an exact path
into the state exists, or a step's total does, that step is redone as an exact log-sum-exp and flagged
in ``exact``, so no finite value is lost to -inf.

Posteriors and expected transition counts are products of these linear quantities, normalised per
step. Every factor is at most 1, so a term lost to underflow is below 1e-308 while the normaliser is
checked to be above 1e-290: the linear formulas are exact to rounding, and rows that fail the check
use the log-space formula. The inputs are trusted: the public functions validated them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_TINY = 1e-290  # below this a linear-space quantity may have lost precision: recompute in log space


@njit(cache=True)
def _lse_pair(u, v):
    """log(sum(exp(u + v))) for two 1-D arrays of the same length; -inf when all terms are -inf."""
    top = -np.inf
    for i in range(u.shape[0]):
        if u[i] + v[i] > top:
            top = u[i] + v[i]
    if top == -np.inf:
        return -np.inf
    s = 0.0
    for i in range(u.shape[0]):
        s += np.exp(u[i] + v[i] - top)
    return top + np.log(s)


@njit(cache=True)
def _row_max(a):
    top = -np.inf
    for i in range(a.shape[0]):
        if a[i] > top:
            top = a[i]
    return top


@njit(cache=True)
def shifted_exp(log_emission):
    """Row-shifted emissions E = exp(log_emission - m[:, None]) (T, N) and row maxima m (T,), one pass.

    Rows of -inf get m = 0 and E = 0.
    """
    T, N = log_emission.shape
    E = np.empty((T, N))
    m = np.empty(T)
    for t in range(T):
        top = _row_max(log_emission[t])
        top = top if top > -np.inf else 0.0
        m[t] = top
        for j in range(N):
            E[t, j] = np.exp(log_emission[t, j] - top)
    return E, m


@njit(cache=True)
def _log_alpha(t, i, log_emission, S, L, exact, out):
    """Exact log alpha_t(i) from the forward pass's stored quantities."""
    if exact[t]:
        return out[t, i]
    if S[t, i] == 0.0 or log_emission[t, i] == -np.inf:
        return -np.inf
    return log_emission[t, i] + np.log(S[t, i]) + L[t]


@njit(cache=True)
def _log_beta(t, i, S, L, exact, out):
    """Exact log beta_t(i) from the backward pass's stored quantities."""
    if exact[t]:
        return out[t, i]
    if S[t, i] == 0.0:
        return -np.inf
    return np.log(S[t, i]) + L[t]


@njit(cache=True)
def forward_scaled(log_startprob, log_transmat, log_emission, E, m):
    """Scaled forward pass.

    The linear state :math:`p = \\alpha_{t-1} e^{-\\text{scale}}` is renormalised only when its sum
    drops below 1e-100, so a step costs N^2 multiply-adds and no exp, log or division.

    Parameters
    ----------
    E, m : (T, N), (T,)
        ``E = exp(log_emission - m[:, None])``, from :func:`shifted_exp` (or an exact equivalent).

    Returns
    -------
    log_prob : float
    S : (T, N)
        Predictions :math:`s_t(j) = \\sum_i p_i A_{ij}` of the fast rows.
    L : (T,)
        On a fast row, :math:`\\log\\alpha_t(j) = \\log b_j(x_t) + \\log s_t(j) + L_t`.
    exact : (T,) bool
        Rows computed in log space (row 0, slow steps); their log alpha is in ``out``.
    out : (T, N)
    """
    T, N = log_emission.shape
    A = np.exp(log_transmat)  # (N, N)
    S = np.zeros((T, N))
    L = np.zeros(T)
    exact = np.zeros(T, dtype=np.bool_)
    out = np.empty((T, N))  # log alpha of the exact rows only
    prev = np.empty(N)
    p = np.empty(N)
    for j in range(N):
        out[0, j] = log_startprob[j] + log_emission[0, j]
    exact[0] = True
    scale = _row_max(out[0])
    if scale == -np.inf:
        exact[:] = True
        out[:] = -np.inf
        return -np.inf, S, L, exact, out
    for j in range(N):
        p[j] = np.exp(out[0, j] - scale)
    for t in range(1, T):
        c = 0.0
        slow = False
        for j in range(N):
            s = 0.0
            for i in range(N):
                s += p[i] * A[i, j]
            S[t, j] = s
            if s < _TINY:  # is a finite value hiding below the linear range?
                for i in range(N):
                    if A[i, j] > 0.0 and _log_alpha(t - 1, i, log_emission, S, L, exact, out) > -np.inf:
                        slow = True
        if not slow:
            for j in range(N):
                p[j] = S[t, j] * E[t, j]
                c += p[j]
            if c > _TINY:
                L[t] = scale
                scale += m[t]
                if c < 1e-100:  # renormalise, rarely
                    for j in range(N):
                        p[j] /= c
                    scale += np.log(c)
                continue
        for i in range(N):
            prev[i] = _log_alpha(t - 1, i, log_emission, S, L, exact, out)
        exact[t] = True
        for j in range(N):
            out[t, j] = log_emission[t, j] + _lse_pair(prev, log_transmat[:, j])
        scale = _row_max(out[t])
        if scale == -np.inf:  # impossible prefix: everything after is impossible too
            exact[t:] = True
            out[t:] = -np.inf
            return -np.inf, S, L, exact, out
        for j in range(N):
            p[j] = np.exp(out[t, j] - scale)
    total = 0.0
    for j in range(N):
        total += p[j]
    return scale + np.log(total), S, L, exact, out


@njit(cache=True)
def backward_scaled(log_transmat, log_emission, E, m):
    """Scaled backward pass, mirror image of :func:`forward_scaled`.

    Returns
    -------
    S : (T, N)
        Sums :math:`s_t(i) = \\sum_j A_{ij} E_{t+1,j} q_j` of the fast rows, with
        :math:`q = \\beta_{t+1} e^{-\\text{scale}}`.
    L : (T,)
        On a fast row, :math:`\\log\\beta_t(i) = \\log s_t(i) + L_t`.
    exact : (T,) bool and out : (T, N)
        Rows computed in log space (row T-1, slow steps) and their log beta.
    """
    T, N = log_emission.shape
    A = np.exp(log_transmat)  # (N, N)
    S = np.zeros((T, N))
    L = np.zeros(T)
    exact = np.zeros(T, dtype=np.bool_)
    out = np.empty((T, N))  # log beta of the exact rows only
    nxt = np.empty(N)
    q = np.ones(N)
    v = np.empty(N)
    out[T - 1] = 0.0
    exact[T - 1] = True
    scale = 0.0
    for t in range(T - 2, -1, -1):
        for j in range(N):
            v[j] = E[t + 1, j] * q[j]
        d = 0.0
        slow = False
        for i in range(N):
            s = 0.0
            for j in range(N):
                s += A[i, j] * v[j]
            S[t, i] = s
            d += s
            if s < _TINY:
                for j in range(N):
                    if A[i, j] > 0.0 and log_emission[t + 1, j] + _log_beta(t + 1, j, S, L, exact, out) > -np.inf:
                        slow = True
        if not slow and d > _TINY:
            scale += m[t + 1]
            L[t] = scale
            for i in range(N):
                q[i] = S[t, i]
            if d < 1e-100:  # renormalise, rarely
                for i in range(N):
                    q[i] /= d
                scale += np.log(d)
            continue
        for j in range(N):
            nxt[j] = log_emission[t + 1, j] + _log_beta(t + 1, j, S, L, exact, out)
        exact[t] = True
        for i in range(N):
            out[t, i] = _lse_pair(log_transmat[i], nxt)
        scale = _row_max(out[t])
        if scale == -np.inf:
            exact[: t + 1] = True
            out[: t + 1] = -np.inf
            return S, L, exact, out
        for i in range(N):
            q[i] = np.exp(out[t, i] - scale)
    return S, L, exact, out


@njit(cache=True)
def gamma_scaled(log_emission, E, Sf, Lf, exact_f, out_f, Sb, Lb, exact_b, out_b):
    """Posteriors (T, N): :math:`\\gamma_t(i) \\propto s^f_t(i) E_{ti} s^b_t(i)` on fast rows, else in log space.

    A row with no possible state is left at zero (the caller refuses impossible sequences).
    """
    T, N = log_emission.shape
    out = np.zeros((T, N))
    v = np.empty(N)
    for t in range(T):
        if not exact_f[t] and not exact_b[t]:
            den = 0.0
            for i in range(N):
                out[t, i] = Sf[t, i] * E[t, i] * Sb[t, i]
                den += out[t, i]
            if den > _TINY:
                inv = 1.0 / den
                for i in range(N):
                    out[t, i] *= inv
                continue
        for i in range(N):
            v[i] = _log_alpha(t, i, log_emission, Sf, Lf, exact_f, out_f) + _log_beta(t, i, Sb, Lb, exact_b, out_b)
        top = _row_max(v)
        if top == -np.inf:
            out[t] = 0.0
            continue
        den = 0.0
        for i in range(N):
            out[t, i] = np.exp(v[i] - top)
            den += out[t, i]
        for i in range(N):
            out[t, i] /= den
    return out


@njit(cache=True)
def xi_sum_scaled(log_transmat, log_emission, E, Sf, Lf, exact_f, out_f, Sb, Lb, exact_b, out_b):
    """Expected transition counts :math:`\\sum_t \\xi_t(i, j)`, shape (N, N).

    :math:`\\xi_t(i,j) \\propto \\alpha_t(i) A_{ij} b_j(x_{t+1}) \\beta_{t+1}(j)`, normalised over (i, j)
    at every t: on fast rows from the linear quantities, otherwise in log space.
    """
    T, N = log_emission.shape
    A = np.exp(log_transmat)  # (N, N)
    total = np.zeros((N, N))
    xi = np.empty((N, N))
    a = np.empty(N)
    b = np.empty(N)
    for t in range(T - 1):
        if not exact_f[t] and not exact_b[t + 1]:
            for i in range(N):
                a[i] = Sf[t, i] * E[t, i]
                b[i] = E[t + 1, i] * Sb[t + 1, i]
            tot = 0.0
            for i in range(N):
                for j in range(N):
                    xi[i, j] = a[i] * A[i, j] * b[j]
                    tot += xi[i, j]
            if tot > _TINY:
                inv = 1.0 / tot
                for i in range(N):
                    for j in range(N):
                        total[i, j] += xi[i, j] * inv
                continue
        for i in range(N):
            a[i] = _log_alpha(t, i, log_emission, Sf, Lf, exact_f, out_f)
            b[i] = log_emission[t + 1, i] + _log_beta(t + 1, i, Sb, Lb, exact_b, out_b)
        top = -np.inf
        for i in range(N):
            for j in range(N):
                xi[i, j] = a[i] + log_transmat[i, j] + b[j]
                top = max(top, xi[i, j])
        if top == -np.inf:
            continue
        tot = 0.0
        for i in range(N):
            for j in range(N):
                xi[i, j] = np.exp(xi[i, j] - top)
                tot += xi[i, j]
        for i in range(N):
            for j in range(N):
                total[i, j] += xi[i, j] / tot
    return total


@njit(cache=True)
def viterbi(log_startprob, log_transmat, log_emission):
    """Return (log_prob, path (T,) int64) of the most probable state sequence (first maximum wins)."""
    T, N = log_emission.shape
    back = np.empty((T, N), dtype=np.int32)  # back[t, j]: best predecessor of state j at time t
    prev = np.empty(N)
    cur = np.empty(N)
    for j in range(N):
        prev[j] = log_startprob[j] + log_emission[0, j]
    for t in range(1, T):
        for j in range(N):
            best = -np.inf
            arg = 0
            for i in range(N):
                val = prev[i] + log_transmat[i, j]
                if val > best:
                    best = val
                    arg = i
            cur[j] = best + log_emission[t, j]
            back[t, j] = arg
        prev, cur = cur, prev
    path = np.empty(T, dtype=np.int64)
    last = 0
    for j in range(1, N):
        if prev[j] > prev[last]:
            last = j
    log_prob = prev[last]
    path[T - 1] = last
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return log_prob, path


@njit(cache=True)
def sample_states(startprob, transmat, u):
    """Ancestral sampling of a state sequence (T,) by inverting CDFs with uniforms u (T,)."""
    T = u.shape[0]
    N = startprob.shape[0]
    states = np.empty(T, dtype=np.int64)
    probs = startprob
    for t in range(T):
        c = 0.0
        k = N - 1
        for i in range(N):
            c += probs[i]
            if u[t] < c:
                k = i
                break
        while probs[k] == 0.0:  # guard against rounding in the CDF landing on an impossible state
            k -= 1
        states[t] = k
        probs = transmat[k]
    return states


@njit(cache=True)
def gaussian_diag_log_emission(X, means, covars):
    """Log densities (T, N) of X (T, D) under diagonal Gaussians means (N, D), covars (N, D), in one pass."""
    T, D = X.shape
    N = means.shape[0]
    const = np.empty(N)
    for j in range(N):
        const[j] = D * np.log(2.0 * np.pi)
        for d in range(D):
            const[j] += np.log(covars[j, d])
    out = np.empty((T, N))
    for t in range(T):
        for j in range(N):
            acc = const[j]
            for d in range(D):
                diff = X[t, d] - means[j, d]
                acc += diff * diff / covars[j, d]
            out[t, j] = -0.5 * acc
    return out
