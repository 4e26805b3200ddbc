r"""Generative adversarial networks: losses on logits, the players, and the alternating training loop.

Discriminators return **logits** (shape (B,)); D(x) = sigmoid(logit). The losses are written with
``softplus`` so that they stay finite for any finite logit: log D = -softplus(-l), log(1 - D) = -softplus(l).
One round of the game is a critic (discriminator) step then a generator step; :func:`train_gan` repeats
it. The players live in ``_gan_players.py``; the ring of Gaussians is in :mod:`course_utils.datasets` and
its score, :func:`~course_utils.metrics.mode_coverage`, in :mod:`course_utils.metrics`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import _training as tr
from ._gan_players import ConvDiscriminator, ConvGenerator, Discriminator, Generator
from ._validation import as_float_tensor, check_choice, check_positive_float, check_positive_int
from .runtime import progress as _progress

__all__ = ["discriminator_loss", "generator_loss", "gradient_penalty", "Generator", "Discriminator",
           "ConvGenerator", "ConvDiscriminator", "train_gan", "GANHistory", "GAN_LOSSES", "alternating_step"]

GAN_LOSSES = ("non_saturating", "minimax", "wgan-gp", "pacgan")
_GENERATOR_KINDS = ("non_saturating", "minimax")


# --- losses ---------------------------------------------------------------------------------------

def discriminator_loss(real_logits, fake_logits):
    r"""The discriminator's cross-entropy, averaged over each batch.

    Parameters
    ----------
    real_logits : torch.Tensor, shape (B,)
        Discriminator logits on real samples.
    fake_logits : torch.Tensor, shape (B',)
        Discriminator logits on generated samples.

    Returns
    -------
    torch.Tensor, scalar

    Notes
    -----
    .. math:: L_D = -\mathbb{E}_{x}[\log D(x)] - \mathbb{E}_{z}[\log(1 - D(G(z)))]
              = \mathbb{E}[\mathrm{softplus}(-l_{real})] + \mathbb{E}[\mathrm{softplus}(l_{fake})]

    See Also
    --------
    generator_loss : the other player's loss.

    Examples
    --------
    >>> float(discriminator_loss(torch.zeros(3), torch.zeros(3)))  # 2 log 2
    1.3862943649291992
    """
    real_logits = as_float_tensor(real_logits, "real_logits")
    fake_logits = as_float_tensor(fake_logits, "fake_logits")
    return _discriminator_loss(real_logits, fake_logits)


def _discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # scalar


def generator_loss(fake_logits, kind: str = "non_saturating"):
    r"""The generator's loss on the discriminator's logits for generated samples, averaged over the batch.

    Parameters
    ----------
    fake_logits : torch.Tensor, shape (B,)
    kind : {"non_saturating", "minimax"}
        ``"minimax"`` minimises E[log(1 - D(G(z)))], the game as first written, whose gradient vanishes
        when D confidently rejects the fakes; ``"non_saturating"`` minimises -E[log D(G(z))] instead.

    Returns
    -------
    torch.Tensor, scalar

    Notes
    -----
    .. math:: L_G^{mm} = \mathbb{E}[\log(1 - D(G(z)))] = -\mathbb{E}[\mathrm{softplus}(l)], \qquad
              L_G^{ns} = -\mathbb{E}[\log D(G(z))] = \mathbb{E}[\mathrm{softplus}(-l)]

    See Also
    --------
    discriminator_loss : the other player's loss.

    Examples
    --------
    >>> round(float(generator_loss(torch.zeros(3))), 4)  # log 2
    0.6931
    """
    check_choice(kind, "kind", _GENERATOR_KINDS)
    fake_logits = as_float_tensor(fake_logits, "fake_logits")
    return _generator_loss(fake_logits, kind)


def _generator_loss(fake_logits, kind):
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # scalar
    return F.softplus(-fake_logits).mean()  # scalar


def gradient_penalty(discriminator: nn.Module, real, fake, seed=None):
    r"""WGAN-GP penalty E[(||grad_x D(x_hat)||_2 - 1)^2] on random interpolates of real and fake samples.

    Parameters
    ----------
    discriminator : nn.Module
        The critic, mapping (B, D) to (B,).
    real, fake : torch.Tensor, shape (B, D)
    seed : int, torch.Generator or None
        Randomness for the interpolation weights.

    Returns
    -------
    torch.Tensor, scalar (differentiable with respect to the critic's parameters)

    Notes
    -----
    Gulrajani et al. (2017): :math:`\hat x = \alpha x + (1-\alpha)\tilde x,\ \alpha \sim U(0, 1)`.

    Examples
    --------
    >>> critic = lambda x: x.sum(-1)  # gradient (1, 1) everywhere: norm sqrt 2
    >>> round(float(gradient_penalty(critic, torch.zeros(4, 2), torch.ones(4, 2), seed=0)), 4)
    0.1716
    """
    return _gradient_penalty(discriminator, real, fake, tr.make_generator(seed))


def _gradient_penalty(discriminator, real, fake, generator):
    alpha = tr.rand((real.shape[0], 1), generator, real)  # (B, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)  # (B, D)
    scores = discriminator(x_hat)  # (B,)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, D)
    return (grad.norm(2, dim=1) - 1.0).pow(2).mean()  # scalar


# --- one round of the game: a critic step, then a generator step ----------------------------------

@dataclass
class _Game:
    """The two players, their optimisers and the rules of one :func:`train_gan` run."""

    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    loss: str = "non_saturating"
    gp_weight: float = 0.1
    pack: int = 1
    noise: torch.Generator | None = None  # latent codes and interpolation weights

    def latent(self, n: int) -> torch.Tensor:
        """Fresh latent codes z ~ N(0, I), (n, latent_dim), on the generator's device."""
        return tr.randn((n, self.generator.latent_dim), self.noise, tr.model_tensor(self.generator))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """D's logits on x (B, D), packed into (B / pack, pack * D) first (the identity when pack = 1)."""
        return self.discriminator(x.reshape(x.shape[0] // self.pack, -1))  # (B / pack,)


def _critic_step(game: _Game, real: torch.Tensor, z: torch.Tensor):
    """One discriminator (critic) update on real (B, D) and fakes G(z), G held fixed; returns the loss
    before the update and the logits on real and fake samples (all detached)."""
    with torch.no_grad():
        fake = game.generator(z)  # (B, D), no gradient into G
    real_logits, fake_logits = game.logits(real), game.logits(fake)  # (B / pack,) each
    if game.loss == "wgan-gp":  # critic: E[D(fake)] - E[D(real)] + penalty
        d_loss = (fake_logits.mean() - real_logits.mean()
                  + game.gp_weight * _gradient_penalty(game.discriminator, real, fake, game.noise))
    else:
        d_loss = _discriminator_loss(real_logits, fake_logits)
    game.opt_d.zero_grad()
    d_loss.backward()
    game.opt_d.step()
    return d_loss.detach(), real_logits.detach(), fake_logits.detach()


def _generator_step(game: _Game, z: torch.Tensor) -> torch.Tensor:
    """One generator update: G(z) scored by the (just updated) discriminator. Returns the loss before it."""
    fake_logits = game.logits(game.generator(z))  # (B / pack,)
    if game.loss == "wgan-gp":
        g_loss = -fake_logits.mean()
    else:
        g_loss = _generator_loss(fake_logits, "minimax" if game.loss == "minimax" else "non_saturating")
    game.opt_g.zero_grad()
    g_loss.backward()
    game.opt_g.step()
    return g_loss.detach()


def alternating_step(generator: nn.Module, discriminator: nn.Module, optimizer_g, optimizer_d, real, z, *,
                     kind: str = "non_saturating") -> tuple[float, float]:
    """One round of the GAN game: a discriminator update, then a generator update.

    The discriminator sees a real batch and the generator's samples for ``z`` with the generator
    detached (so only D's weights move); the generator is then scored by the *updated* discriminator.
    :func:`train_gan` plays the same round, with fresh noise for each step.

    Parameters
    ----------
    generator, discriminator : nn.Module
        D returns logits of shape (B,).
    optimizer_g, optimizer_d : torch.optim.Optimizer
        Optimisers over G's and D's parameters.
    real : Tensor, shape (B, D_data)
    z : Tensor, shape (B, latent_dim)
    kind : {"non_saturating", "minimax"}
        The generator loss.

    Returns
    -------
    (d_loss, g_loss) : tuple of float
        Batch means, before the respective updates.

    Examples
    --------
    >>> G, D = Generator(2, 2), Discriminator(2)
    >>> opt_g, opt_d = (torch.optim.SGD(m.parameters(), lr=0.1) for m in (G, D))
    >>> d_loss, g_loss = alternating_step(G, D, opt_g, opt_d, torch.randn(8, 2), torch.randn(8, 2))
    """
    check_choice(kind, "kind", _GENERATOR_KINDS)
    game = _Game(generator, discriminator, optimizer_g, optimizer_d, loss=kind)
    d_loss, _, _ = _critic_step(game, real, z)
    g_loss = _generator_step(game, z)
    return float(d_loss.item()), float(g_loss.item())


# --- training -------------------------------------------------------------------------------------

class GANHistory(tr.TrainingHistory):
    """What :func:`train_gan` records (a ``TrainingHistory``). One row per generator step: ``step``;
    ``loss``, the generator's loss (nats for the non-saturating and minimax games, critic units for
    ``"wgan-gp"``); ``d_loss``, the discriminator's (with the penalty for ``"wgan-gp"``);
    ``d_real_accuracy`` and ``d_fake_accuracy``, the fractions of real samples with logit > 0 and of
    fakes with logit < 0; ``seconds``. On their own schedule: ``sample_steps`` and ``samples``,
    snapshots of G on one fixed batch of latent codes (CPU tensors (n_samples, D)).
    """


def _check_settings(loss, steps, batch_size, lr, gp_weight, n_samples, schedule, pack, n_critic,
                    sample_every, betas) -> dict:
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
    return dict(loss=loss, steps=steps, batch_size=batch_size, lr=check_positive_float(lr, "lr"),
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
              lr: float = 1e-3, loss: str = "non_saturating", n_critic: int | None = None,
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
    >>> G, D = Generator(2, 2), Discriminator(2)
    >>> history = train_gan(G, D, lambda n: ring_of_gaussians(n, rng=0).X, steps=2, progress=False, seed=0)
    >>> history.sample_steps
    [1, 2]
    """
    opts = _check_settings(loss, steps, batch_size, lr, gp_weight, n_samples, schedule, pack, n_critic,
                           sample_every, betas)
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
                 torch.optim.Adam(generator.parameters(), lr=opts["lr"], betas=opts["betas"]),
                 torch.optim.Adam(discriminator.parameters(), lr=opts["lr"], betas=opts["betas"]),
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
        tr.set_lr([game.opt_d, game.opt_g], tr.scheduled_lr(opts["schedule"], opts["lr"], step + 1, steps))
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
