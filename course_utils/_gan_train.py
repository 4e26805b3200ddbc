"""The GAN training loop, :func:`train_gan`, and its history (part of ``course_utils.gan``; import from there)."""

from __future__ import annotations

import math

import torch
from torch import nn

from . import _training as tr
from ._gan_game import GAN_LOSSES, _critic_step, _Game, _generator_step
from ._validation import check_choice, check_positive_float, check_positive_int
from .runtime import progress as _progress

__all__ = ["train_gan", "GANHistory"]


class GANHistory(tr.TrainingHistory):
    """What :func:`train_gan` records (a ``TrainingHistory``). One row per generator step: ``step``;
    ``loss``, the generator's loss (nats for the non-saturating and minimax games, critic units for
    ``"wgan-gp"``); ``d_loss``, the discriminator's (with the penalty for ``"wgan-gp"``);
    ``d_real_accuracy`` and ``d_fake_accuracy``, the fractions of real samples with logit > 0 and of
    fakes with logit < 0; ``seconds``. On their own schedule: ``sample_steps`` and ``samples``,
    snapshots of G on one fixed batch of latent codes (CPU tensors (n_samples, D)).
    """


def _check_settings(loss, steps, batch_size, lr, gp_weight, n_samples, schedule, pack, n_critic,
                    sample_every, betas, lr_d=None, lr_g=None) -> dict:
    """Validate train_gan's options and fill in the defaults that depend on ``loss``."""
    loss = check_choice(loss, "loss", GAN_LOSSES)
    steps = check_positive_int(steps, "steps")
    wgan = loss == "wgan-gp"
    pack = check_positive_int(pack, "pack") if loss == "pacgan" else 1
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size % pack:
        raise ValueError(f"batch_size must be a multiple of pack={pack} for loss='pacgan' (got {batch_size})")
    check_choice(schedule, "schedule", tr.LR_SCHEDULES)
    sample_every = max(1, steps // 10) if sample_every is None else sample_every
    lr = check_positive_float(lr, "lr")
    return dict(loss=loss, steps=steps, batch_size=batch_size, lr=lr,
                lr_d=lr if lr_d is None else check_positive_float(lr_d, "lr_d"),
                lr_g=lr if lr_g is None else check_positive_float(lr_g, "lr_g"),
                gp_weight=check_positive_float(gp_weight, "gp_weight", allow_zero=True),
                n_samples=check_positive_int(n_samples, "n_samples"), schedule=schedule, pack=pack,
                n_critic=check_positive_int((2 if wgan else 1) if n_critic is None else n_critic, "n_critic"),
                sample_every=check_positive_int(sample_every, "sample_every"),
                betas=tuple(betas) if betas is not None else ((0.5, 0.9) if wgan else (0.5, 0.999)))


def _data_dim(data, generator: nn.Module) -> int:
    """D, the data's number of columns; a callable is probed once with n = 2 (using two of its samples)."""
    if isinstance(data, torch.utils.data.DataLoader):
        first = data.dataset[0]
        return int(torch.as_tensor(first[0] if isinstance(first, (list, tuple)) else first).shape[-1])
    if callable(data) and not isinstance(data, torch.Tensor):
        return tr.as_model_tensor(data(2), generator, "sample_real(n)").shape[1]
    return tr.as_model_tensor(data, generator, "data").shape[1]


def train_gan(generator: nn.Module, discriminator: nn.Module, data, *, steps: int, batch_size: int = 256,
              lr: float = 1e-3, lr_d: float | None = None, lr_g: float | None = None,
              loss: str = "non_saturating", n_critic: int | None = None,
              gp_weight: float = 0.1, pack: int = 4, betas=None, schedule: str = "cosine",
              sample_every: int | None = None, n_samples: int = 1000, device=None, progress: bool = True,
              seed=None) -> GANHistory:
    """Train a GAN by alternating discriminator (critic) and generator Adam steps.

    Parameters
    ----------
    generator : nn.Module
        Maps (B, generator.latent_dim) to (B, D), e.g. :class:`Generator`.
    discriminator : nn.Module
        Maps (B, D) to logits (B,), e.g. :class:`Discriminator`; moved to the generator's device.
    data : callable, array, tensor (N, D) or DataLoader
        The real samples, cast to the generator's dtype and device. A callable ``sample_real(n)``
        returns n fresh samples (an endless stream such as the ring; it is probed once with n = 2 to
        learn D); from an array or tensor each batch is drawn with replacement (using ``seed``); a
        DataLoader is cycled through (its batch size wins).
    steps, batch_size : int
        Number of generator updates; samples per batch.
    lr : float
        Adam learning rate for both players.
    lr_d, lr_g : float, optional
        Separate learning rates for the discriminator (critic) and the generator, instead of ``lr``
        (two time-scale updates, Heusel et al., 2017; a discriminator much faster than the generator
        is also a classic way to provoke mode collapse). The schedule scales each one.
    loss : {"non_saturating", "minimax", "wgan-gp", "pacgan"}
        ``"non_saturating"`` and ``"minimax"`` train D with :func:`discriminator_loss` and G with
        :func:`generator_loss` of that kind. ``"wgan-gp"`` (Gulrajani et al., 2017) trains a critic on
        E[D(fake)] - E[D(real)] + gp_weight * :func:`gradient_penalty` and G on -E[D(G(z))].
        ``"pacgan"`` (Lin et al., 2018) is the non-saturating game played on *packs* of ``pack``
        samples concatenated into one input, so D sees a collapsed batch; the discriminator must then
        take ``pack * D`` inputs, e.g. ``Discriminator(pack * D)``.
    n_critic : int, optional
        Discriminator steps per generator step; default 2 for ``"wgan-gp"``, 1 otherwise.
    gp_weight : float
        Penalty weight for ``"wgan-gp"``. The paper uses 10 for images; 0.1 suits the 2-D ring,
        whose modes are far apart compared with their width.
    pack : int
        Pack size for ``"pacgan"``; ``batch_size`` must be a multiple of it.
    betas : tuple of float, optional
        Adam betas; default (0.5, 0.9) for ``"wgan-gp"`` and (0.5, 0.999) otherwise.
    schedule : {"cosine", "constant"}
        ``"cosine"`` anneals both learning rates to 0 over the run, which lets the generator settle
        on sharp modes instead of jittering around them.
    sample_every : int, optional
        Snapshot period in steps; default ``max(1, steps // 10)``.
    n_samples : int
        Size of each snapshot.
    device : str or torch.device, optional
        ``None`` follows the generator's parameters; otherwise both players are moved there.
    progress : bool
        Show a progress bar.
    seed : int, torch.Generator or None
        Randomness for latent codes, interpolation weights and rows of array data (a callable has its
        own). ``None``: unpredictable.

    Returns
    -------
    GANHistory
        ``loss`` (the generator's), ``d_loss``, D's accuracies and sample snapshots.

    Raises
    ------
    ValueError
        For an unknown ``loss`` (the message lists the valid ones), non-positive ``steps`` or
        ``batch_size``, or real samples of the wrong shape or with NaN.

    See Also
    --------
    alternating_step : one round of the same game, written out.
    course_utils.vae.train_vae, course_utils.flows.train_flow : the other trainers, with the same API.

    Examples
    --------
    >>> from course_utils.datasets import ring_of_gaussians
    >>> from course_utils.gan import Discriminator, Generator
    >>> G, D = Generator(2, 2), Discriminator(2)
    >>> history = train_gan(G, D, lambda n: ring_of_gaussians(n, rng=0).X, steps=2, progress=False, seed=0)
    >>> history.sample_steps
    [1, 2]
    """
    opts = _check_settings(loss, steps, batch_size, lr, gp_weight, n_samples, schedule, pack, n_critic,
                           sample_every, betas, lr_d, lr_g)
    device = tr.resolve_device(generator, device)
    discriminator.to(device)
    g = tr.make_generator(seed)
    input_dim = _data_dim(data, generator)
    d_inputs = getattr(discriminator, "input_dim", opts["pack"] * input_dim)
    if d_inputs != opts["pack"] * input_dim:
        p = opts["pack"]
        raise ValueError(f"discriminator must take pack * D = {p} * {input_dim} = {p * input_dim} inputs "
                         f"for loss={opts['loss']!r} (got input_dim={d_inputs}); build it as "
                         f"Discriminator({p * input_dim})")
    draw_real = tr.stream(data, opts["batch_size"], g, generator,
                          name="sample_real" if callable(data) else "data", last_dim=input_dim)
    game = _Game(generator, discriminator,
                 torch.optim.Adam(generator.parameters(), lr=opts["lr_g"], betas=opts["betas"]),
                 torch.optim.Adam(discriminator.parameters(), lr=opts["lr_d"], betas=opts["betas"]),
                 loss=opts["loss"], gp_weight=opts["gp_weight"], pack=opts["pack"], noise=g)
    return _play(game, draw_real, opts, progress)


def _play(game: _Game, draw_real, opts: dict, progress: bool) -> GANHistory:
    """The training loop of :func:`train_gan`: ``steps`` rounds of n_critic critic steps and one G step."""
    steps, batch_size = opts["steps"], opts["batch_size"]
    z_fixed = game.latent(opts["n_samples"])  # (n_samples, Z), the same codes for every snapshot
    history = GANHistory()
    game.generator.train()
    game.discriminator.train()
    for step in _progress(range(steps), total=steps, desc=f"train_gan ({opts['loss']})", enabled=progress):
        for _ in range(opts["n_critic"]):
            d_loss, real_logits, fake_logits = _critic_step(game, draw_real(), game.latent(batch_size))
        g_loss = _generator_step(game, game.latent(batch_size))
        for optimizer, base_lr in ((game.opt_d, opts["lr_d"]), (game.opt_g, opts["lr_g"])):
            tr.set_lr([optimizer], tr.scheduled_lr(opts["schedule"], base_lr, step + 1, steps))
        history.log(step=step + 1, loss=float(g_loss), d_loss=float(d_loss),
                    d_real_accuracy=float((real_logits > 0).float().mean()),
                    d_fake_accuracy=float((fake_logits < 0).float().mean()))
        if not (math.isfinite(history.loss[-1]) and math.isfinite(history.d_loss[-1])):
            raise ValueError(f"training diverged at step {step + 1} (loss {history.loss[-1]}, d_loss "
                             f"{history.d_loss[-1]}); lower lr")
        if (step + 1) % opts["sample_every"] == 0 or step + 1 == steps:
            with torch.no_grad(), tr.eval_mode(game.generator):
                history.append("samples", game.generator(z_fixed).cpu())  # (n_samples, D)
            history.append("sample_steps", step + 1)
    game.generator.eval()
    game.discriminator.eval()
    return history
