r"""Training and sampling for :mod:`course_utils.diffusion`: the loss, the loop, DDPM and DDIM samplers.

Import these names from :mod:`course_utils.diffusion`. The loop is the shared
:func:`course_utils._training.fit_epochs`.
"""

from __future__ import annotations

import torch
from torch import nn

from . import _training as tr
from ._validation import check_choice, check_positive_float, check_positive_int

__all__ = ["diffusion_loss", "train_diffusion", "DiffusionHistory", "sample"]


class _Diffusion:
    """``_d.name`` reads ``course_utils.diffusion.name`` at call time (that module imports this one)."""

    def __getattr__(self, name):
        from . import diffusion

        return getattr(diffusion, name)


_d = _Diffusion()


def diffusion_loss(model: nn.Module, x0: torch.Tensor, schedule, generator: torch.Generator) -> torch.Tensor:
    r"""Ho et al.'s simple loss per sample, (B, d) -> (B,): :math:`\lVert\varepsilon -
    \varepsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon, t)\rVert^2` averaged over
    the d coordinates, with t uniform on 0..T-1 and ε ~ N(0, I), both drawn from ``generator``."""
    t = torch.randint(0, schedule.T, (x0.shape[0],), generator=generator, device=generator.device)  # (B,)
    t = t.to(x0.device)
    eps = tr.randn(x0.shape, generator, x0)  # (B, d)
    ab = _d._gather(schedule.alpha_bars, t, x0)  # (B, 1)
    x_t = ab.sqrt() * x0 + (1.0 - ab).sqrt() * eps  # (B, d)
    return (model(x_t, t) - eps).pow(2).mean(1)  # (B,)


class DiffusionHistory(tr.TrainingHistory):
    """What :func:`train_diffusion` records, one row per epoch (a ``TrainingHistory``).

    ``loss``: the epoch mean of :func:`diffusion_loss` (squared error of the predicted noise per
    coordinate; about 1 for a network that predicts 0, lower is better; not a likelihood); ``val_loss``
    the same on ``validation`` (with fresh random steps and noise); ``lr``, ``epoch`` and ``seconds``.
    """


def train_diffusion(model: nn.Module, data, *, schedule, epochs: int = 8000, batch_size: int = 1000,
                    lr: float = 5e-3, lr_schedule: str = "cosine", weight_decay: float = 0.0, validation=None,
                    device=None, progress: bool = True, seed=None,
                    max_grad_norm: float | None = 1.0, ema_decay: float | None = None) -> DiffusionHistory:
    """Fit an ε-predicting network with Adam on the simple DDPM loss (:func:`diffusion_loss`).

    The defaults are the configuration measured in ``benchmarks/bench_diffusion.py`` on two moons
    (2,000 points; 8,000 epochs of batch 1,000, i.e. 16,000 Adam steps, about 45-55 CPU seconds on one
    thread with the default 64-wide :class:`~course_utils.diffusion.Denoiser`):
    ``train_diffusion(Denoiser(2, seed=0), X, schedule=Schedule(), seed=0)`` is the recommended run,
    sampled with :func:`sample`'s defaults. How its samples compare with a BIC-chosen Gaussian mixture's
    is in ``benchmarks/NOTES_diffusion.md``. For a first look, ``epochs=2000`` takes a quarter of the time.

    Parameters
    ----------
    model : nn.Module
        Called as ``model(x_t, t)`` with x_t (B, d) and integer steps t (B,), returning (B, d); e.g. a
        :class:`~course_utils.diffusion.Denoiser`. It needs a ``dim`` attribute. Trained in place; left in
        eval mode.
    data : array or tensor (N, d), or DataLoader
        Training data, cast to the model's dtype and device.
    schedule : Schedule
        The noise schedule; sample with the same one.
    epochs, batch_size : int
        Passes over the data and mini-batch size.
    lr : float
        Initial Adam learning rate.
    lr_schedule : {"cosine", "constant"}
        ``"cosine"`` anneals the learning rate to 0 over the run.
    weight_decay : float
        Adam's L2 penalty.
    validation : array, tensor (M, d) or DataLoader, optional
        Scored after every epoch.
    device : str or torch.device, optional
        ``None`` follows the model's parameters; otherwise the model is moved there.
    progress : bool
        Show a progress bar.
    seed : int, torch.Generator or None
        Randomness for shuffling, the steps and the noise. ``None``: unpredictable.
    max_grad_norm : float or None
        Clip the gradients to this total norm (``None``: no clipping).
    ema_decay : float in (0, 1), optional
        Keep an exponential moving average of the weights, updated after every step with this decay
        (e.g. 0.999, as DDPM does), and leave the model with the averaged weights at the end. The
        per-epoch ``val_loss`` is computed with the current, not the averaged, weights.

    Returns
    -------
    DiffusionHistory
        Per-epoch ``loss`` (and ``val_loss``), ``lr``.

    Raises
    ------
    TypeError
        For a ``schedule`` that is not a ``Schedule``, or a model without ``dim``.
    ValueError
        For non-positive ``epochs``/``batch_size``/``lr``, data of the wrong width, NaN in the data, or a
        diverged run.

    Examples
    --------
    >>> from course_utils.diffusion import Denoiser, Schedule
    >>> X = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    >>> h = train_diffusion(Denoiser(2, hidden_dim=8, seed=0), X, schedule=Schedule(10), epochs=2,
    ...                     progress=False, seed=0)
    >>> list(h)
    ['epoch', 'loss', 'lr', 'seconds']
    """
    schedule = _d._check_schedule(schedule)
    dim = _model_dim(model)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
    if max_grad_norm is not None:
        max_grad_norm = check_positive_float(max_grad_norm, "max_grad_norm")
    if ema_decay is not None and not 0 < check_positive_float(ema_decay, "ema_decay") < 1:
        raise ValueError(f"ema_decay must be in (0, 1), e.g. 0.999 (got {ema_decay})")
    check_choice(lr_schedule, "lr_schedule", tr.LR_SCHEDULES)
    tr.resolve_device(model, device)
    data = tr.prepare_data(data, model, "data", last_dim=dim)
    if validation is not None:
        validation = tr.prepare_data(validation, model, "validation", last_dim=dim)
    g = tr.make_generator(seed)
    p = tr.model_tensor(model)
    fused = p.device.type in ("cpu", "cuda") and p.dtype in (torch.float32, torch.float64)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=fused or None)

    if ema_decay is not None:
        optimizer = _EMAOptimizer(optimizer, list(model.parameters()), ema_decay)

    def loss_terms(x):
        return {"loss": diffusion_loss(model, x, schedule, g)}  # (b,)

    history = tr.fit_epochs(model, data, loss_terms, DiffusionHistory(), optimizer=optimizer, epochs=epochs,
                            batch_size=batch_size, lr=lr, schedule=lr_schedule, generator=g,
                            validation=validation, max_grad_norm=max_grad_norm, log_lr=True,
                            progress=progress, desc="train_diffusion", hint="lower lr or standardise the data")
    if ema_decay is not None:
        optimizer.copy_to_model()
    return history


class _EMAOptimizer:
    """An optimiser that also keeps a moving average of the parameters after each step (for ``ema_decay``)."""

    def __init__(self, optimizer, params, decay: float):
        self.optimizer, self.params, self.decay = optimizer, params, decay
        self.param_groups = optimizer.param_groups
        self.average = [p.detach().clone() for p in params]

    def zero_grad(self):
        self.optimizer.zero_grad()

    @torch.no_grad()
    def step(self):
        self.optimizer.step()
        torch._foreach_lerp_(self.average, [p.detach() for p in self.params], 1.0 - self.decay)

    @torch.no_grad()
    def copy_to_model(self):
        for p, a in zip(self.params, self.average):
            p.copy_(a)


def _model_dim(model) -> int:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module such as Denoiser(2) (got {type(model).__name__})")
    dim = getattr(model, "dim", None)
    if dim is None:
        raise TypeError(f"model must have a `dim` attribute, the number of data dimensions "
                        f"({type(model).__name__} has none)")
    return check_positive_int(dim, "model.dim")


@torch.no_grad()
def sample(model: nn.Module, schedule, n: int, *, seed=None, device=None, method: str = "ddpm",
           steps: int | None = None, variance: str | None = None, trajectory: bool = False):
    r"""Draw ``n`` points by running the learned reverse process from pure noise.

    Parameters
    ----------
    model : nn.Module
        An ε-predictor ``model(x_t, t)`` with a ``dim`` attribute, trained with ``schedule``.
    schedule : Schedule
    n : int
        Number of samples.
    seed : int, torch.Generator or None
        Randomness of the starting noise and (for DDPM) of every step.
    device : str or torch.device, optional
        ``None`` follows the model; otherwise the model is moved there.
    method : {"ddpm", "ddim"}
        ``"ddpm"``: ancestral sampling through all T steps (Ho et al. 2020, Algorithm 2), by default
        with :math:`\sigma_t^2 = \beta_t`. ``"ddim"``: the deterministic DDIM sampler (η = 0; Song, Meng &
        Ermon 2021) on ``steps`` evenly spaced steps; only the starting noise is random.
    steps : int, optional
        Only for ``"ddim"``: how many of the T steps to visit (default T; fewer is faster).
    variance : {"beta", "posterior"}, optional
        Only for ``"ddpm"``: the noise of each step, :math:`\sigma_t^2 = \beta_t` (the default, used when
        ``None``) or the posterior variance :math:`\tilde\beta_t`, Ho et al.'s two choices (exact for data
        N(0, I) and for a single data point respectively). With few steps the first gives a little too
        much spread and the second too little (``tests/test_diffusion.py`` measures both on a Gaussian
        with the exact noise predictor); on two moons at T = 100, ``"beta"`` gives the closer samples
        (``benchmarks/NOTES_diffusion.md``). Leave ``None`` for ``"ddim"``.
    trajectory : bool
        Also return the points after every step.

    Returns
    -------
    x0 : torch.Tensor, shape (n, d)
        On the model's device, in its dtype.
    path : torch.Tensor, shape (n_steps + 1, n, d)
        Only with ``trajectory=True``: the starting noise, then the points after each step (the last
        entry is ``x0``).

    Notes
    -----
    DDPM, paper numbering, from :math:`x_T \sim \mathcal N(0, I)` for t = T..1 (z = 0 at t = 1):

    .. math:: x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}
              \varepsilon_\theta(x_t, t)\Big) + \sigma_t z, \qquad \sigma_t^2 = \beta_t \text{ or } \tilde\beta_t.

    DDIM with :math:`\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\varepsilon_\theta)/\sqrt{\bar\alpha_t}`:
    :math:`x_{s} = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\varepsilon_\theta` for the
    previous visited step s (:math:`\bar\alpha = 1` after the last).

    Examples
    --------
    >>> from course_utils.diffusion import Denoiser, Schedule
    >>> sample(Denoiser(2, hidden_dim=8, seed=0), Schedule(10), 5, seed=0).shape
    torch.Size([5, 2])
    """
    schedule = _d._check_schedule(schedule)
    dim = _model_dim(model)
    n = check_positive_int(n, "n")
    check_choice(method, "method", ("ddpm", "ddim"))
    if variance is not None:
        check_choice(variance, "variance", ("beta", "posterior"))
        if method != "ddpm":
            raise ValueError("variance is for method='ddpm' only; DDIM adds no noise (leave it None)")
    variance = variance or "beta"
    if steps is not None:
        if method != "ddim":
            raise ValueError("steps is for method='ddim' only; DDPM visits all T steps (leave steps None)")
        steps = check_positive_int(steps, "steps")
        if steps > schedule.T:
            raise ValueError(f"steps must be at most T = {schedule.T} (got {steps})")
    tr.resolve_device(model, device)
    g = tr.make_generator(seed)
    like = tr.model_tensor(model)
    x = tr.randn((n, dim), g, like)  # (n, d) x_T
    path = [x]
    with tr.eval_mode(model):
        if method == "ddpm":
            x = _ddpm_loop(model, schedule, x, g, path, variance)
        else:
            x = _ddim_loop(model, schedule, x, steps or schedule.T, path)
    return (x, torch.stack(path)) if trajectory else x


def _ddpm_loop(model, schedule, x, g, path, variance):
    _, _, var = _d._posterior_coefficients(schedule, torch.arange(schedule.T), x[:1])  # (T, 1)
    if variance == "beta":
        var = schedule.betas.to(device=x.device, dtype=x.dtype)[:, None]  # (T, 1)
    ab, alphas, betas = (v.to(device=x.device, dtype=x.dtype) for v in
                         (schedule.alpha_bars, schedule.alphas, schedule.betas))  # (T,) each
    for t in reversed(range(schedule.T)):
        t_batch = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)  # (n,)
        eps = model(x, t_batch)  # (n, d)
        x = (x - betas[t] / (1 - ab[t]).sqrt() * eps) / alphas[t].sqrt()  # (n, d) Ho et al.'s eq. 11
        if t > 0:
            x = x + var[t].sqrt() * tr.randn(x.shape, g, x)
        path.append(x)
    return x


def _ddim_loop(model, schedule, x, steps, path):
    visit = torch.linspace(0, schedule.T - 1, steps, dtype=torch.float64).round().long()  # (steps,)
    ab = schedule.alpha_bars.to(device=x.device, dtype=x.dtype)  # (T,)
    for i in reversed(range(steps)):
        t = int(visit[i])
        t_batch = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)  # (n,)
        eps = model(x, t_batch)  # (n, d)
        x0_hat = (x - (1 - ab[t]).sqrt() * eps) / ab[t].sqrt()  # (n, d)
        ab_prev = ab[int(visit[i - 1])] if i > 0 else torch.ones((), dtype=x.dtype, device=x.device)
        x = ab_prev.sqrt() * x0_hat + (1 - ab_prev).sqrt() * eps  # (n, d)
        path.append(x)
    return x
