"""One round of the GAN game, the kernels behind ``course_utils.gan`` (import from there).

The loss kernels work on logits and skip validation (the public wrappers in ``gan.py`` validate); a
:class:`_Game` holds the two players, their optimisers and the rules; :func:`_critic_step` and
:func:`_generator_step` are the two halves of one round.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import _training as tr

GAN_LOSSES = ("non_saturating", "minimax", "wgan-gp", "pacgan")
GENERATOR_KINDS = ("non_saturating", "minimax")


# --- loss kernels on logits -----------------------------------------------------------------------

def _discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # scalar



def _generator_loss(fake_logits, kind):
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # scalar
    return F.softplus(-fake_logits).mean()  # scalar


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

