"""Generative adversarial networks: losses on logits, MLP and small conv players, a training loop,
and the ring-of-Gaussians benchmark with its mode-coverage score.

Discriminators return **logits** (shape (B,)); D(x) = sigmoid(logit). The losses are written with
``softplus`` so that they stay finite for any finite logit: log D = -softplus(-l), log(1 - D) = -softplus(l).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validation import (
    as_float_array,
    as_float_tensor,
    check_choice,
    check_positive_float,
    check_positive_int,
    check_rng,
    check_torch_generator,
)
from .runtime import TrainingHistory
from .runtime import progress as _progress

__all__ = ["discriminator_loss", "generator_loss", "gradient_penalty", "Generator", "Discriminator",
           "ConvGenerator", "ConvDiscriminator", "train_gan", "GANHistory", "GAN_LOSSES",
           "ring_of_gaussians", "ring_centers", "mode_coverage", "alternating_step"]

GAN_LOSSES = ("non_saturating", "minimax", "wgan-gp", "pacgan")
_GENERATOR_KINDS = ("non_saturating", "minimax")


# --- losses ---------------------------------------------------------------------------------------

def discriminator_loss(real_logits, fake_logits):
    """The discriminator's cross-entropy, averaged over each batch.

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
    .. math:: L_D = -\\mathbb{E}_{x}[\\log D(x)] - \\mathbb{E}_{z}[\\log(1 - D(G(z)))]
              = \\mathbb{E}[\\mathrm{softplus}(-l_{real})] + \\mathbb{E}[\\mathrm{softplus}(l_{fake})]

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
    """The generator's loss on the discriminator's logits for generated samples, averaged over the batch.

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
    .. math:: L_G^{mm} = \\mathbb{E}[\\log(1 - D(G(z)))] = -\\mathbb{E}[\\mathrm{softplus}(l)], \\qquad
              L_G^{ns} = -\\mathbb{E}[\\log D(G(z))] = \\mathbb{E}[\\mathrm{softplus}(-l)]
    """
    check_choice(kind, "kind", _GENERATOR_KINDS)
    fake_logits = as_float_tensor(fake_logits, "fake_logits")
    return _generator_loss(fake_logits, kind)


def _generator_loss(fake_logits, kind):
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # scalar
    return F.softplus(-fake_logits).mean()  # scalar


def gradient_penalty(discriminator: nn.Module, real, fake, generator=None):
    """WGAN-GP penalty E[(||grad_x D(x_hat)||_2 - 1)^2] on random interpolates of real and fake samples.

    Parameters
    ----------
    discriminator : nn.Module
        The critic, mapping (B, D) to (B,).
    real, fake : torch.Tensor, shape (B, D)
    generator : torch.Generator or int, optional
        Randomness for the interpolation weights.

    Returns
    -------
    torch.Tensor, scalar (differentiable with respect to the critic's parameters)

    Notes
    -----
    Gulrajani et al. (2017): :math:`\\hat x = \\alpha x + (1-\\alpha)\\tilde x,\\ \\alpha \\sim U(0, 1)`.
    """
    return _gradient_penalty(discriminator, real, fake, check_torch_generator(generator))


def _gradient_penalty(discriminator, real, fake, generator):
    alpha = torch.rand((real.shape[0], 1), generator=generator, device=generator.device)  # (B, 1)
    alpha = alpha.to(device=real.device, dtype=real.dtype)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)  # (B, D)
    scores = discriminator(x_hat)  # (B,)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, D)
    return (grad.norm(2, dim=1) - 1.0).pow(2).mean()  # scalar


# --- the players ----------------------------------------------------------------------------------

def _mlp(sizes, activation) -> nn.Sequential:
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


_OUTPUTS = {None: nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


class Generator(nn.Module):
    """MLP generator G: z (B, latent_dim) -> x (B, output_dim).

    Parameters
    ----------
    latent_dim, output_dim : int
    hidden_dims : tuple of int
    output_activation : {None, "sigmoid", "tanh"}
        ``"sigmoid"`` for data in [0, 1] (images), ``None`` for unbounded data such as the ring.
    """

    def __init__(self, latent_dim: int, output_dim: int, hidden_dims=(128, 128), output_activation=None):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.output_dim = check_positive_int(output_dim, "output_dim")
        check_choice(output_activation, "output_activation", tuple(_OUTPUTS))
        hidden_dims = tuple(check_positive_int(h, "hidden_dims entries") for h in hidden_dims)
        self.net = nn.Sequential(_mlp((self.latent_dim, *hidden_dims, self.output_dim), nn.ReLU),
                                 _OUTPUTS[output_activation]())

    def forward(self, z):
        return self.net(z)  # (B, output_dim)

    @torch.no_grad()
    def sample(self, n: int, generator=None):
        """Draw ``n`` samples, shape (n, output_dim), from z ~ N(0, I)."""
        return _sample(self, check_positive_int(n, "n"), check_torch_generator(generator))


def _sample(model, n, generator):
    """Samples in eval mode (batch-norm running statistics), restoring the previous mode afterwards."""
    p = next(model.parameters())
    z = torch.randn((n, model.latent_dim), generator=generator, device=generator.device)  # (n, Z)
    was_training = model.training
    model.eval()
    x = model(z.to(device=p.device, dtype=p.dtype))  # (n, output_dim)
    model.train(was_training)
    return x


class Discriminator(nn.Module):
    """MLP discriminator: x (B, input_dim) -> logits (B,), with LeakyReLU(0.2) hidden layers.

    Parameters
    ----------
    input_dim : int
    hidden_dims : tuple of int
    spectral_norm : bool
        Wrap every linear layer in spectral normalisation (Miyato et al., 2018), a cheap stabiliser.
    """

    def __init__(self, input_dim: int, hidden_dims=(128, 128), spectral_norm: bool = False):
        super().__init__()
        self.input_dim = check_positive_int(input_dim, "input_dim")
        hidden_dims = tuple(check_positive_int(h, "hidden_dims entries") for h in hidden_dims)
        self.net = _mlp((self.input_dim, *hidden_dims, 1), lambda: nn.LeakyReLU(0.2))
        if spectral_norm:
            for i, layer in enumerate(self.net):
                if isinstance(layer, nn.Linear):
                    self.net[i] = nn.utils.parametrizations.spectral_norm(layer)

    def forward(self, x):
        return self.net(x).squeeze(-1)  # (B,)


class ConvGenerator(nn.Module):
    """Small transposed-convolution generator for 8x8 images: z (B, latent_dim) -> x (B, 64) in [0, 1].

    The output is flattened so that it plugs into the same loops as the MLPs (``x.view(-1, 8, 8)``
    to display it).
    """

    def __init__(self, latent_dim: int = 16, channels: int = 64):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.channels = check_positive_int(channels, "channels", minimum=2)
        c = self.channels
        self.fc = nn.Sequential(nn.Linear(self.latent_dim, c * 2 * 2), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1), nn.BatchNorm2d(c // 2), nn.ReLU(),
            nn.ConvTranspose2d(c // 2, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, z):
        h = self.fc(z).view(-1, self.channels, 2, 2)  # (B, C, 2, 2)
        return self.deconv(h).flatten(1)  # (B, 1, 8, 8) -> (B, 64)

    @torch.no_grad()
    def sample(self, n: int, generator=None):
        """Draw ``n`` images, shape (n, 64), from z ~ N(0, I)."""
        return _sample(self, check_positive_int(n, "n"), check_torch_generator(generator))


class ConvDiscriminator(nn.Module):
    """Small convolutional discriminator for flattened 8x8 images: x (B, 64) -> logits (B,)."""

    def __init__(self, channels: int = 64):
        super().__init__()
        c = check_positive_int(channels, "channels", minimum=2)
        self.input_dim = 64
        self.net = nn.Sequential(
            nn.Conv2d(1, c // 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # (B, C/2, 4, 4)
            nn.Conv2d(c // 2, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # (B, C, 2, 2)
            nn.Flatten(), nn.Linear(c * 4, 1))

    def forward(self, x):
        return self.net(x.view(-1, 1, 8, 8)).squeeze(-1)  # (B,)


# --- training -------------------------------------------------------------------------------------

@dataclass
class GANHistory(TrainingHistory):
    """What :func:`train_gan` records.

    Per generator step (lists of floats, one entry each): ``d_loss`` and ``g_loss`` (for ``"wgan-gp"``
    the critic loss includes the penalty), ``d_real_accuracy`` and ``d_fake_accuracy`` (fraction of real
    samples with logit > 0 and of fakes with logit < 0). ``sample_steps`` and ``samples``: snapshots
    of G on one fixed batch of latent codes (CPU tensors of shape (n_samples, D)), taken every
    ``sample_every`` steps and at the end. ``seconds``: wall time since the start, per step.
    ``history["d_loss"]`` works like ``history.d_loss``.
    """

    step: list = field(default_factory=list)
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    d_real_accuracy: list = field(default_factory=list)
    d_fake_accuracy: list = field(default_factory=list)
    sample_steps: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


def _draw_real(sample_real, n, input_dim, device):
    x = sample_real(n)
    x = as_float_tensor(x, "sample_real(n)", ndim=2, last_dim=input_dim)
    if x.shape[0] != n:
        raise ValueError(f"sample_real(n) must return n = {n} rows (got {x.shape[0]})")
    return x.to(device=device, dtype=torch.get_default_dtype())


def train_gan(generator: nn.Module, discriminator: nn.Module, sample_real, *, steps: int,
              batch_size: int = 256, lr: float = 1e-3, loss: str = "non_saturating", device=None,
              progress: bool = True, n_critic: int | None = None, gp_weight: float = 0.1, pack: int = 4,
              betas=None, schedule: str = "cosine", sample_every: int | None = None,
              n_samples: int = 1000, seed=None) -> GANHistory:
    """Train a GAN by alternating discriminator (critic) and generator Adam steps.

    Parameters
    ----------
    generator : nn.Module
        Maps (B, generator.latent_dim) to (B, D), e.g. :class:`Generator`.
    discriminator : nn.Module
        Maps (B, D) to logits (B,), e.g. :class:`Discriminator`.
    sample_real : callable
        ``sample_real(n)`` returns a tensor (or array) of shape (n, D) of real samples.
    steps : int
        Number of generator updates.
    batch_size : int
    lr : float
        Adam learning rate for both players.
    loss : {"non_saturating", "minimax", "wgan-gp", "pacgan"}
        ``"non_saturating"`` and ``"minimax"`` train D with :func:`discriminator_loss` and G with
        :func:`generator_loss` of that kind. ``"wgan-gp"`` (Gulrajani et al., 2017) trains a critic on
        E[D(fake)] - E[D(real)] + gp_weight * :func:`gradient_penalty` and G on -E[D(G(z))].
        ``"pacgan"`` (Lin et al., 2018) is the non-saturating game played on *packs* of ``pack``
        samples concatenated into one input, so D sees a collapsed batch; the discriminator must then
        take ``pack * D`` inputs, e.g. ``Discriminator(pack * D)``.
    device : str or torch.device, optional
        ``None`` follows the generator's parameters; otherwise both players are moved there.
    progress : bool
        Show a progress bar.
    n_critic : int, optional
        Discriminator steps per generator step; default 2 for ``"wgan-gp"`` (the paper's 5 spends
        the same time on fewer generator steps, which on the ring gave less sharp modes), 1 otherwise.
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
    seed : torch.Generator or int, optional
        Randomness for latent codes and interpolation weights (``sample_real`` has its own).

    Returns
    -------
    GANHistory

    Raises
    ------
    ValueError
        For an unknown ``loss`` (the message lists the valid ones), non-positive ``steps`` or
        ``batch_size``, or real samples of the wrong shape or with NaN.

    Examples
    --------
    >>> G, D = Generator(2, 2), Discriminator(2)
    >>> hist = train_gan(G, D, lambda n: ring_of_gaussians(n, rng=0), steps=2, progress=False)
    """
    loss = check_choice(loss, "loss", GAN_LOSSES)
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    gp_weight = check_positive_float(gp_weight, "gp_weight", allow_zero=True)
    n_samples = check_positive_int(n_samples, "n_samples")
    check_choice(schedule, "schedule", ("cosine", "constant"))
    wgan = loss == "wgan-gp"
    pack = check_positive_int(pack, "pack") if loss == "pacgan" else 1
    if batch_size % pack:
        raise ValueError(f"batch_size must be a multiple of pack={pack} for loss='pacgan' (got {batch_size})")
    g_kind = "minimax" if loss == "minimax" else "non_saturating"
    n_critic = check_positive_int(n_critic if n_critic is not None else (2 if wgan else 1), "n_critic")
    sample_every = check_positive_int(sample_every if sample_every is not None else max(1, steps // 10),
                                      "sample_every")
    if not callable(sample_real):
        raise TypeError(f"sample_real must be a callable sample_real(n) -> (n, D) tensor "
                        f"(got {type(sample_real).__name__})")
    betas = tuple(betas) if betas is not None else ((0.5, 0.9) if wgan else (0.5, 0.999))
    if device is None:
        device = next(generator.parameters()).device
    else:
        device = torch.device(device)
        generator.to(device)
    discriminator.to(device)
    g = check_torch_generator(seed)
    latent_dim = generator.latent_dim
    probe = _draw_real(sample_real, 2, None, device)
    input_dim = probe.shape[1]
    d_inputs = getattr(discriminator, "input_dim", pack * input_dim)
    if d_inputs != pack * input_dim:
        raise ValueError(f"discriminator must take pack * D = {pack} * {input_dim} = {pack * input_dim} "
                         f"inputs for loss={loss!r} (got input_dim={d_inputs}); build it as "
                         f"Discriminator({pack * input_dim})")
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    z_fixed = torch.randn((n_samples, latent_dim), generator=g, device=g.device).to(device)  # (n, Z)

    def latent(n):
        return torch.randn((n, latent_dim), generator=g, device=g.device).to(device)  # (n, Z)

    def packed(x):
        return x.reshape(-1, pack * input_dim)  # (B / pack, pack * D); the identity when pack = 1

    history = GANHistory()
    start = time.perf_counter()
    bar = _progress(range(steps), total=steps, desc=f"train_gan ({loss})", enabled=progress)
    generator.train()
    discriminator.train()
    for step in bar:
        for _ in range(n_critic):
            real = _draw_real(sample_real, batch_size, input_dim, device)  # (B, D)
            with torch.no_grad():
                fake = generator(latent(batch_size))  # (B, D)
            real_logits = discriminator(packed(real))  # (B / pack,)
            fake_logits = discriminator(packed(fake))  # (B / pack,)
            if wgan:
                d_loss = (fake_logits.mean() - real_logits.mean()
                          + gp_weight * _gradient_penalty(discriminator, real, fake, g))
            else:
                d_loss = _discriminator_loss(real_logits, fake_logits)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        fake_logits_g = discriminator(packed(generator(latent(batch_size))))  # (B / pack,)
        g_loss = -fake_logits_g.mean() if wgan else _generator_loss(fake_logits_g, g_kind)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if schedule == "cosine":
            for group in (*opt_d.param_groups, *opt_g.param_groups):
                group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * (step + 1) / steps))

        history.step.append(step + 1)
        history.d_loss.append(float(d_loss.detach()))
        history.g_loss.append(float(g_loss.detach()))
        history.d_real_accuracy.append(float((real_logits.detach() > 0).float().mean()))
        history.d_fake_accuracy.append(float((fake_logits.detach() < 0).float().mean()))
        history.seconds.append(time.perf_counter() - start)
        if not (math.isfinite(history.d_loss[-1]) and math.isfinite(history.g_loss[-1])):
            raise ValueError(f"training diverged at step {step + 1} (d_loss {history.d_loss[-1]}, "
                             f"g_loss {history.g_loss[-1]}); lower lr")
        if (step + 1) % sample_every == 0 or step + 1 == steps:
            generator.eval()
            with torch.no_grad():
                history.samples.append(generator(z_fixed).cpu())  # (n_samples, D)
            generator.train()
            history.sample_steps.append(step + 1)
    generator.eval()
    discriminator.eval()
    return history


# --- the ring benchmark ---------------------------------------------------------------------------

def alternating_step(generator: nn.Module, discriminator: nn.Module, optimizer_g, optimizer_d, real, z, *,
                     kind: str = "non_saturating") -> tuple[float, float]:
    """One round of the GAN game: a discriminator update, then a generator update.

    The discriminator sees a real batch and the generator's samples for ``z`` with the generator
    detached (so only D's weights move); the generator is then scored by the *updated* discriminator.

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
    """
    with torch.no_grad():
        fake = generator(z)  # (B, D_data), no gradient into G
    d_loss = discriminator_loss(discriminator(real), discriminator(fake))
    optimizer_d.zero_grad()
    d_loss.backward()
    optimizer_d.step()
    g_loss = generator_loss(discriminator(generator(z)), kind=kind)
    optimizer_g.zero_grad()
    g_loss.backward()
    optimizer_g.step()
    return float(d_loss.item()), float(g_loss.item())


def ring_centers(n_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """Centres of the ring's modes, shape (n_modes, 2), evenly spaced on a circle of ``radius``."""
    n_modes = check_positive_int(n_modes, "n_modes")
    radius = check_positive_float(radius, "radius")
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)  # (K,)
    return (radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)).float()  # (K, 2)


def ring_of_gaussians(n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, rng=None):
    """Sample ``n`` points from an equal-weight mixture of 2-D Gaussians on a ring.

    Parameters
    ----------
    n : int
    n_modes : int
    radius : float
    std : float
        Standard deviation of every component (isotropic).
    rng : numpy.random.Generator or int, optional
        Pass one Generator and call repeatedly for a stream of fresh samples; an int always gives
        the same points.

    Returns
    -------
    X : torch.Tensor, shape (n, 2), float32
    """
    n = check_positive_int(n, "n")
    std = check_positive_float(std, "std")
    centers = ring_centers(n_modes, radius).numpy()  # (K, 2)
    rng = check_rng(rng)
    labels = rng.integers(0, len(centers), size=n)  # (n,)
    X = centers[labels] + std * rng.standard_normal((n, 2))  # (n, 2)
    return torch.from_numpy(X.astype(np.float32))


def mode_coverage(samples, centers, std: float):
    """Count covered modes and the fraction of high-quality samples.

    A sample is *high quality* when it lies within 3 ``std`` of its nearest centre; a mode is
    *covered* when at least 1% of all samples are high quality and nearest to it.

    Parameters
    ----------
    samples : array or tensor, shape (n, 2)
    centers : array or tensor, shape (K, 2)
    std : float

    Returns
    -------
    modes_covered : int
    high_quality_fraction : float
    """
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().cpu().numpy()
    if isinstance(centers, torch.Tensor):
        centers = centers.detach().cpu().numpy()
    samples = as_float_array(samples, "samples", ndim=2, finite=False)
    centers = as_float_array(centers, "centers", ndim=2)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples and centers must have the same number of columns "
                         f"(got {samples.shape[1]} and {centers.shape[1]})")
    std = check_positive_float(std, "std")
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)  # (n, K)
    dist = np.where(np.isfinite(dist), dist, np.inf)  # non-finite samples are never high quality
    nearest = dist.argmin(axis=1)  # (n,)
    good = dist[np.arange(len(samples)), nearest] <= 3 * std  # (n,)
    counts = np.bincount(nearest[good], minlength=len(centers))  # (K,)
    modes_covered = int((counts >= 0.01 * len(samples)).sum())
    return modes_covered, float(good.mean())
