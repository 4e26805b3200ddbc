r"""Generative adversarial networks: losses on logits, the players, and the alternating training loop.

Discriminators return **logits** (shape (B,)); D(x) = sigmoid(logit). The losses are written with
``softplus`` so that they stay finite for any finite logit: log D = -softplus(-l), log(1 - D) = -softplus(l).
One round of the game is a critic (discriminator) step then a generator step; :func:`train_gan` repeats
it. The players live in ``_gan_players.py``; the ring of Gaussians is in :mod:`course_utils.datasets` and
its score, :func:`~course_utils.metrics.mode_coverage`, in :mod:`course_utils.metrics`.
"""

from __future__ import annotations

import torch  # noqa: F401  (the examples in the docstrings use it)
from torch import nn

from . import _training as tr
from ._gan_game import (
    GAN_LOSSES,
    _critic_step,
    _discriminator_loss,
    _Game,
    _generator_loss,
    _generator_step,
    _gradient_penalty,
)
from ._gan_game import GENERATOR_KINDS as _GENERATOR_KINDS
from ._gan_players import ConvDiscriminator, ConvGenerator, Discriminator, Generator
from ._gan_train import GANHistory, train_gan
from ._validation import as_float_tensor, check_choice

__all__ = ["discriminator_loss", "generator_loss", "gradient_penalty", "Generator", "Discriminator",
           "ConvGenerator", "ConvDiscriminator", "train_gan", "GANHistory", "GAN_LOSSES", "alternating_step"]


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


# --- one round of the game: a critic step, then a generator step ----------------------------------



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
