"""The layers of :mod:`course_utils.flows`: the affine coupling, the learned invertible linear map, and a
reflection (import them from ``course_utils.flows``).

Each layer maps data-side x (B, d) to base-side z (B, d) in ``forward``, returning the log-determinant of
dz/dx (B,), and maps back in ``inverse``.
"""

from __future__ import annotations

import torch
from torch import nn

from . import _training as tr
from ._validation import check_positive_int

__all__ = ["AffineCoupling", "InvertibleLinear"]


class AffineCoupling(nn.Module):
    """One RealNVP affine coupling layer (Dinh et al., 2017).

    The coordinates where ``mask`` is 1 pass through unchanged and condition an elementwise affine map
    of the others, so the Jacobian is triangular and its log-determinant is the sum of the log-scales.

    Parameters
    ----------
    dim : int
        d, the number of data dimensions (at least 2).
    mask : tensor of 0/1 or bool, shape (d,)
        1 marks the conditioning (unchanged) coordinates; it must contain both 0s and 1s.
    hidden_dim : int
        Width of the two hidden layers of the network that outputs the scale s and shift t.

    Notes
    -----
    With :math:`m` the mask and :math:`s, t = \\mathrm{NN}(m \\odot x)`:

    .. math:: z = m \\odot x + (1 - m) \\odot \\left(x \\odot e^{s} + t\\right), \\qquad
              \\log\\left|\\det \\tfrac{\\partial z}{\\partial x}\\right| = \\sum_j (1 - m_j)\\, s_j

    ``s`` is bounded with ``tanh`` (times a learned per-dimension factor) so that early training
    cannot blow up. The last layer starts at zero, so a new layer is the identity.

    Examples
    --------
    >>> z, log_det = AffineCoupling(2, mask=[1.0, 0.0])(torch.randn(5, 2))  # (5, 2), (5,)
    >>> bool((log_det == 0).all())  # a new layer is the identity
    True
    """

    def __init__(self, dim: int, mask, hidden_dim: int = 64):
        super().__init__()
        self.dim = check_positive_int(dim, "dim", minimum=2)
        hidden_dim = check_positive_int(hidden_dim, "hidden_dim")
        mask = torch.as_tensor(mask, dtype=torch.get_default_dtype())
        if mask.shape != (self.dim,) or not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"mask must be a 0/1 vector of length dim={self.dim} (got {mask.tolist()})")
        if mask.sum() in (0, self.dim):
            raise ValueError(f"mask must contain both 0s and 1s (got {mask.tolist()})")
        self.register_buffer("mask", mask)  # (d,)
        self.net = nn.Sequential(nn.Linear(self.dim, hidden_dim), nn.SiLU(),
                                 nn.Linear(hidden_dim, hidden_dim), nn.SiLU(),
                                 nn.Linear(hidden_dim, 2 * self.dim))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)
        self.scale_factor = nn.Parameter(torch.ones(self.dim))  # (d,)

    def scale_shift(self, x_cond):
        """The conditioner: masked input (B, d) -> log-scale s (B, d) and shift t (B, d), both zero on the
        coordinates that pass through unchanged."""
        s, t = self.net(x_cond).chunk(2, dim=-1)  # (B, d), (B, d)
        free = 1.0 - self.mask  # (d,)
        s = torch.tanh(s) * self.scale_factor * free  # (B, d), zero on the conditioning coordinates
        return s, t * free

    def forward(self, x):
        """x (B, d) -> (z (B, d), log_det (B,))."""
        x_cond = x * self.mask  # (B, d)
        s, t = self.scale_shift(x_cond)
        z = x_cond + (1.0 - self.mask) * (x * torch.exp(s) + t)  # (B, d)
        return z, s.sum(-1)

    def inverse(self, z):
        """z (B, d) -> x (B, d)."""
        z_cond = z * self.mask  # (B, d)
        s, t = self.scale_shift(z_cond)
        return z_cond + (1.0 - self.mask) * ((z - t) * torch.exp(-s))  # (B, d)


class InvertibleLinear(nn.Module):
    """A learned invertible linear map z = W x, with W in Glow's LU form (Kingma & Dhariwal, 2018).

    Between two couplings it lets the next split happen along any learned direction, not only along
    the coordinate axes; for d = 2 that is what a curved density like two moons needs.

    Parameters
    ----------
    dim : int
        d, the number of data dimensions.
    seed : int, torch.Generator or None
        Draws the random rotation that W starts from (``None``: an unpredictable one).
    init : array or tensor (d, d), optional
        An invertible matrix for W to start from instead of a random rotation (``seed`` is then unused).

    Notes
    -----
    With :math:`P` a fixed permutation, :math:`L` unit lower-triangular, :math:`U` strictly
    upper-triangular, :math:`\\mathrm{sign}` a vector of :math:`\\pm 1` fixed at initialisation and
    :math:`\\log s` learned:

    .. math:: W = P L \\left(U + \\mathrm{diag}(\\mathrm{sign}\\, e^{\\log s})\\right), \\qquad
              \\log\\left|\\det W\\right| = \\sum_j \\log s_j

    so the log-determinant is exact and costs O(d); the inverse uses two triangular solves.

    Examples
    --------
    >>> layer = InvertibleLinear(3, seed=0)
    >>> x = torch.randn(4, 3)
    >>> bool(torch.allclose(layer.inverse(layer(x)[0]), x, atol=1e-5))
    True
    """

    def __init__(self, dim: int, seed=None, init=None):
        super().__init__()
        self.dim = check_positive_int(dim, "dim", minimum=2)
        dtype = torch.get_default_dtype()
        if init is None:
            g = tr.make_generator(seed)
            q = torch.linalg.qr(torch.randn(self.dim, self.dim, generator=g, dtype=torch.float64))[0]  # (d, d)
        else:
            q = torch.as_tensor(init, dtype=torch.float64)  # (d, d)
            if q.shape != (self.dim, self.dim) or not bool(torch.isfinite(q).all()):
                raise ValueError(f"init must be a finite ({self.dim}, {self.dim}) matrix (got shape "
                                 f"{tuple(q.shape)})")
            if abs(float(torch.linalg.det(q))) < 1e-8:
                raise ValueError("init must be invertible (its determinant is about 0)")
        P, L, U = torch.linalg.lu(q)  # q = P L U; each (d, d)
        diag = torch.diagonal(U)  # (d,)
        self.register_buffer("perm", P.to(dtype))  # (d, d)
        self.register_buffer("sign", torch.sign(diag).to(dtype))  # (d,)
        self.register_buffer("eye", torch.eye(self.dim, dtype=dtype))  # (d, d)
        self.lower = nn.Parameter(torch.tril(L, -1).to(dtype))  # (d, d), strictly lower part used
        self.upper = nn.Parameter(torch.triu(U, 1).to(dtype))  # (d, d), strictly upper part used
        self.log_s = nn.Parameter(diag.abs().log().to(dtype))  # (d,)

    def _factors(self):
        L = torch.tril(self.lower, -1) + self.eye  # (d, d)
        U = torch.triu(self.upper, 1) + torch.diag(self.sign * self.log_s.exp())  # (d, d)
        return L, U

    def weight(self):
        """The matrix W, shape (d, d)."""
        L, U = self._factors()
        return self.perm @ L @ U  # (d, d)

    def forward(self, x):
        """x (B, d) -> (z = x W^T (B, d), log_det (B,))."""
        z = x @ self.weight().T  # (B, d)
        return z, self.log_s.sum().expand(x.shape[0])  # (B,)

    def inverse(self, z):
        """z (B, d) -> x (B, d), solving P L U x = z."""
        L, U = self._factors()
        y = (z @ self.perm).T  # P^T z, (d, B)
        y = torch.linalg.solve_triangular(L, y, upper=False, unitriangular=True)  # (d, B)
        return torch.linalg.solve_triangular(U, y, upper=True).T  # (B, d)


def _reflect(x, v):
    """Householder reflection of the rows of x (B, d) across the hyperplane with normal v (d,).

    Computed on the fly, so it is orthogonal to the precision of x's dtype; v = 0 is the identity.
    """
    vv = v.dot(v)
    if vv == 0:
        return x
    return x - (2.0 / vv) * (x @ v)[:, None] * v  # (B, d)

