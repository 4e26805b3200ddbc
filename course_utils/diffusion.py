r"""Denoising diffusion (DDPM, Ho et al. 2020): a noise schedule, the forward process, an ε-predicting MLP.

The forward process adds Gaussian noise in ``T`` steps, :math:`q(x_t \mid x_{t-1}) =
\mathcal N(\sqrt{1-\beta_t}\,x_{t-1}, \beta_t I)`, so that in closed form

.. math:: x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon, \qquad
          \bar\alpha_t = \textstyle\prod_{s \le t} (1 - \beta_s), \quad \varepsilon \sim \mathcal N(0, I).

A network :math:`\varepsilon_\theta(x_t, t)` learns to predict the noise (the "simple" loss of Ho et al.,
:func:`diffusion_loss`) and :func:`sample` runs the learned reverse process from pure noise.

Indexing: the steps are numbered ``t = 0, ..., T-1`` in code; code step ``t`` is step ``t + 1`` of the
paper, so ``schedule.alpha_bars[0]`` is :math:`\bar\alpha_1` (one step of noise) and
``schedule.alpha_bars[T-1]`` is :math:`\bar\alpha_T` (close to 0: almost pure noise).

Randomness (noise, steps, shuffling, initial weights) comes from ``seed`` arguments (an int, a
``torch.Generator`` or ``None``), never from torch's global generator. Training and sampling live in
``_diffusion_train.py`` and are re-exported here.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import _training as tr
from ._diffusion_train import DiffusionHistory, diffusion_loss, sample, train_diffusion
from ._validation import as_float_tensor, check_choice, check_positive_float, check_positive_int

__all__ = ["Schedule", "q_sample", "posterior_mean_variance", "timestep_embedding", "Denoiser",
           "diffusion_loss", "train_diffusion", "DiffusionHistory", "sample"]

#: Ho et al.'s linear range for T = 1000; :class:`Schedule` scales it by 1000 / T for other T.
DDPM_BETA_START, DDPM_BETA_END = 1e-4, 0.02
_MAX_BETA = 0.999  # no step may destroy all the signal at once (Nichol & Dhariwal clip at 0.999)


class Schedule:
    r"""The noise schedule :math:`\beta_1, \dots, \beta_T` and the products the formulas need.

    Parameters
    ----------
    T : int
        Number of diffusion steps (at least 2).
    kind : {"linear", "cosine"}
        ``"linear"``: :math:`\beta_t` evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al. 2020).
        ``"cosine"``: :math:`\bar\alpha_t = f(t)/f(0)`, :math:`f(t) = \cos^2\!\big(\tfrac{t/T + s}{1 + s}
        \tfrac{\pi}{2}\big)` with :math:`s = 0.008`, and :math:`\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1}`
        clipped at 0.999 (Nichol & Dhariwal 2021, eq. 17).
    beta_start, beta_end : float, optional
        Only for ``"linear"``. By default Ho et al.'s range 1e-4 .. 0.02 for T = 1000, scaled by 1000 / T
        (``beta_end`` capped at 0.999), so that every T ends close to pure noise: with the unscaled range,
        T = 50 would leave :math:`\bar\alpha_T = 0.60`; scaled, T = 100 gives 4e-5.

    Attributes
    ----------
    betas, alphas, alpha_bars : torch.Tensor, shape (T,), float64
        :math:`\beta_t`, :math:`\alpha_t = 1 - \beta_t` and :math:`\bar\alpha_t = \prod_{s\le t}\alpha_s`,
        code index ``t`` holding the paper's step ``t + 1``.

    Raises
    ------
    ValueError
        For T < 2, an unknown ``kind``, betas outside (0, 1) or a decreasing linear range.

    Examples
    --------
    >>> s = Schedule(50)
    >>> s.betas.shape, round(float(s.alpha_bars[-1]), 6) < 1e-2
    (torch.Size([50]), True)
    """

    def __init__(self, T: int = 100, kind: str = "linear", beta_start: float | None = None,
                 beta_end: float | None = None):
        self.T = check_positive_int(T, "T", minimum=2)
        self.kind = check_choice(kind, "kind", ("linear", "cosine"))
        if kind == "cosine":
            if beta_start is not None or beta_end is not None:
                raise ValueError("beta_start and beta_end are for kind='linear' only; the cosine schedule "
                                 "is fixed by T (leave them None)")
            betas = cosine_betas(self.T)
        else:
            scale = 1000.0 / self.T
            beta_start = DDPM_BETA_START * scale if beta_start is None else beta_start
            beta_end = min(DDPM_BETA_END * scale, _MAX_BETA) if beta_end is None else beta_end
            for name, value in (("beta_start", beta_start), ("beta_end", beta_end)):
                if check_positive_float(value, name) >= 1.0:
                    raise ValueError(f"{name} must be in (0, 1) (got {value})")
            if beta_end < beta_start:
                raise ValueError(f"beta_end must be >= beta_start (got {beta_start} and {beta_end})")
            betas = torch.linspace(beta_start, beta_end, self.T, dtype=torch.float64)  # (T,)
        self.beta_start, self.beta_end = float(betas[0]), float(betas[-1])
        self.betas = betas  # (T,)
        self.alphas = 1.0 - betas  # (T,)
        self.alpha_bars = torch.cumprod(self.alphas, 0)  # (T,)

    def __repr__(self) -> str:
        return (f"Schedule(T={self.T}, kind={self.kind!r}, beta {self.beta_start:.3g}..{self.beta_end:.3g}, "
                f"alpha_bar_T={float(self.alpha_bars[-1]):.2g})")


def cosine_betas(T: int, s: float = 0.008) -> torch.Tensor:
    r"""Nichol & Dhariwal's cosine schedule: (T,) float64 betas from :math:`\bar\alpha_t = f(t) / f(0)`."""
    steps = torch.arange(T + 1, dtype=torch.float64)  # (T+1,) paper steps 0..T
    f = torch.cos((steps / T + s) / (1 + s) * math.pi / 2).pow(2)  # (T+1,)
    alpha_bars = f / f[0]  # (T+1,)
    return (1.0 - alpha_bars[1:] / alpha_bars[:-1]).clamp(max=_MAX_BETA)  # (T,)


def _check_schedule(schedule) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a course_utils.diffusion.Schedule (got {type(schedule).__name__}); "
                        f"make one with Schedule(T=100)")
    return schedule


def _gather(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """values[t] as a column (B, 1, ...) broadcastable against ``like`` (B, ...), on its device and dtype."""
    out = values.to(like.device)[t.to(like.device)].to(like.dtype)  # (B,)
    return out.reshape(-1, *([1] * (like.ndim - 1)))  # (B, 1, ...)


def _check_steps(t, x: torch.Tensor, schedule: Schedule, name: str = "t") -> torch.Tensor:
    """``t`` (an int or a (B,) integer tensor/array) as a (B,) long tensor with every entry in 0..T-1."""
    if isinstance(t, bool):
        raise TypeError(f"{name} must be an integer step or a tensor of them (got {t!r})")
    t = torch.as_tensor(t)
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer steps 0..T-1 (got dtype {t.dtype})")
    if t.ndim == 0:
        t = t.expand(x.shape[0])
    if t.shape != (x.shape[0],):
        raise ValueError(f"{name} must be one step or one per row of x0, shape ({x.shape[0]},) "
                         f"(got shape {tuple(t.shape)})")
    if bool((t < 0).any()) or bool((t >= schedule.T).any()):
        raise ValueError(f"{name} must lie in 0..T-1 = 0..{schedule.T - 1} (got values from {int(t.min())} "
                         f"to {int(t.max())}); code step t is step t + 1 of the paper")
    return t.long()


def q_sample(x0, t, schedule: Schedule, noise=None, seed=None) -> torch.Tensor:
    r"""Draw :math:`x_t \sim q(x_t \mid x_0)` in one go: :math:`\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon`.

    Parameters
    ----------
    x0 : array or tensor, shape (B, d)
        Clean data (float64 tensors stay float64; arrays become float32).
    t : int or integer tensor, shape (B,)
        Code steps in 0..T-1 (one for all rows, or one per row).
    schedule : Schedule
    noise : tensor, shape (B, d), optional
        The :math:`\varepsilon` to use; by default drawn from ``seed``.
    seed : int, torch.Generator or None
        Randomness of the noise (ignored when ``noise`` is given).

    Returns
    -------
    torch.Tensor, shape (B, d)

    Raises
    ------
    ValueError
        For x0 that is not 2-D or not finite, steps outside 0..T-1, or noise of another shape.

    Examples
    --------
    >>> x0 = torch.ones(4, 2, dtype=torch.float64)
    >>> x_t = q_sample(x0, 0, Schedule(10), noise=torch.zeros(4, 2, dtype=torch.float64))
    >>> round(float(x_t[0, 0]) ** 2, 6)  # sqrt(alpha_bar_1) ** 2 = 1 - beta_1 = 1 - 0.01
    0.99
    """
    schedule = _check_schedule(schedule)
    x0 = as_float_tensor(x0, "x0", ndim=2)
    t = _check_steps(t, x0, schedule)
    if noise is None:
        noise = tr.randn(x0.shape, tr.make_generator(seed), x0)  # (B, d)
    else:
        noise = as_float_tensor(noise, "noise").to(device=x0.device, dtype=x0.dtype)
        if noise.shape != x0.shape:
            raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)} (got {tuple(noise.shape)})")
    ab = _gather(schedule.alpha_bars, t, x0)  # (B, 1)
    return ab.sqrt() * x0 + (1.0 - ab).sqrt() * noise  # (B, d)


def posterior_mean_variance(x0, x_t, t, schedule: Schedule):
    r"""Mean and variance of the forward-process posterior :math:`q(x_{t-1} \mid x_t, x_0)`.

    Parameters
    ----------
    x0, x_t : tensor, shape (B, d)
    t : int or integer tensor, shape (B,)
        Code steps in 0..T-1; at ``t = 0`` the "previous" point is x0 itself (mean x0, variance 0).
    schedule : Schedule

    Returns
    -------
    mean : torch.Tensor, shape (B, d)
    variance : torch.Tensor, shape (B, 1)
        The same for every coordinate.

    Notes
    -----
    Ho et al. (2020), eq. 6-7, in the paper's numbering:

    .. math:: \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,x_0
              + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t, \qquad
              \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t, \qquad \bar\alpha_0 = 1.
    """
    schedule = _check_schedule(schedule)
    x0 = as_float_tensor(x0, "x0", ndim=2)
    x_t = as_float_tensor(x_t, "x_t", ndim=2).to(device=x0.device, dtype=x0.dtype)
    if x_t.shape != x0.shape:
        raise ValueError(f"x_t must have the shape of x0 {tuple(x0.shape)} (got {tuple(x_t.shape)})")
    t = _check_steps(t, x0, schedule)
    c0, ct, var = _posterior_coefficients(schedule, t, x0)  # (B, 1) each
    return c0 * x0 + ct * x_t, var


def _posterior_coefficients(schedule: Schedule, t: torch.Tensor, like: torch.Tensor):
    """The (B, 1) coefficients of x0 and x_t in the posterior mean, and the posterior variance."""
    ab_prev_all = torch.cat([torch.ones(1, dtype=torch.float64), schedule.alpha_bars[:-1]])  # (T,)
    ab, ab_prev = schedule.alpha_bars, ab_prev_all
    c0 = ab_prev.sqrt() * schedule.betas / (1.0 - ab)  # (T,)
    ct = schedule.alphas.sqrt() * (1.0 - ab_prev) / (1.0 - ab)  # (T,)
    var = (1.0 - ab_prev) / (1.0 - ab) * schedule.betas  # (T,)
    return _gather(c0, t, like), _gather(ct, t, like), _gather(var, t, like)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    r"""Sinusoidal embedding of integer steps, (B,) -> (B, dim), as the Transformer's positions (Vaswani
    et al. 2017) and DDPM: :math:`[\cos(t\,\omega_k), \sin(t\,\omega_k)]`, :math:`\omega_k =
    \text{max\_period}^{-k/(\text{dim}/2)}`."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)  # (half,)
    args = t.to(freqs.dtype)[:, None] * freqs[None, :]  # (B, half)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)  # (B, 2 half)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=1)  # (B, dim)
    return emb


class Denoiser(nn.Module):
    r"""An MLP :math:`\varepsilon_\theta(x_t, t)`: the noise in ``x_t``, from ``x_t`` and the step ``t``.

    The step enters as a sinusoidal embedding (:func:`timestep_embedding`) turned by a small MLP into a
    vector that is added to every hidden layer (as the time embedding enters each block of DDPM's U-Net).

    Parameters
    ----------
    dim : int
        d, the number of data dimensions.
    hidden_dim : int
        Width of the hidden layers (default 64: on 2-D data a 64-wide net trained for 4x as many steps
        beat a 128-wide one in the same CPU time, ``benchmarks/NOTES_diffusion.md``).
    n_layers : int
        Number of hidden layers (each Linear -> + time vector -> SiLU).
    time_dim : int
        Size of the sinusoidal embedding.
    seed : int, torch.Generator or None
        Draws the initial weights (PyTorch's default uniform ranges); ``None``: unpredictable. Pass a
        seed for reproducible runs: torch's global generator is not used.

    Examples
    --------
    >>> net = Denoiser(2, hidden_dim=16, n_layers=2, seed=0)
    >>> net(torch.zeros(5, 2), torch.arange(5)).shape
    torch.Size([5, 2])
    """

    def __init__(self, dim: int, hidden_dim: int = 64, n_layers: int = 3, time_dim: int = 32, *, seed=None):
        super().__init__()
        self.dim = check_positive_int(dim, "dim")
        hidden_dim = check_positive_int(hidden_dim, "hidden_dim")
        n_layers = check_positive_int(n_layers, "n_layers")
        self.time_dim = check_positive_int(time_dim, "time_dim", minimum=2)
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, hidden_dim), nn.SiLU(), nn.Linear(hidden_dim, hidden_dim))
        self.inputs = nn.ModuleList(nn.Linear(dim if i == 0 else hidden_dim, hidden_dim) for i in range(n_layers))
        self.out = nn.Linear(hidden_dim, dim)
        g = tr.make_generator(seed)
        with torch.no_grad():
            for layer in self.modules():
                if isinstance(layer, nn.Linear):  # torch's default bounds, drawn from our generator
                    bound = 1.0 / math.sqrt(layer.in_features)
                    nn.init.uniform_(layer.weight, -bound, bound, generator=g)
                    nn.init.uniform_(layer.bias, -bound, bound, generator=g)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Predicted noise (B, d) for noisy points x_t (B, d) at code steps t (B,) in 0..T-1."""
        # the time MLP runs once per distinct step (at most T of them), not once per row
        steps, index = torch.unique(t, return_inverse=True)  # (S,), (B,)
        temb = self.time_mlp(timestep_embedding(steps, self.time_dim).to(x_t.dtype))[index]  # (B, h)
        h = x_t
        for layer in self.inputs:
            h = nn.functional.silu(layer(h) + temb)  # (B, h)
        return self.out(h)  # (B, d)
