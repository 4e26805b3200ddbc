"""The GAN players: MLP and small convolutional generators and discriminators (part of ``course_utils.gan``).

Import them from ``course_utils.gan``. Generators map latent codes (B, latent_dim) to samples (B, D) and
draw samples with ``.sample(n, seed=...)``; discriminators map samples (B, D) to **logits** (B,).
"""

from __future__ import annotations

import torch
from torch import nn

from . import _training as tr
from ._validation import check_choice, check_positive_int

__all__ = ["Generator", "Discriminator", "ConvGenerator", "ConvDiscriminator"]


def _mlp(sizes, activation) -> nn.Sequential:
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


_OUTPUTS = {None: nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


@torch.no_grad()
def _sample(model: nn.Module, n: int, seed) -> torch.Tensor:
    """``n`` samples of a generator from z ~ N(0, I), in eval mode (batch-norm running statistics)."""
    n = check_positive_int(n, "n")
    z = tr.randn((n, model.latent_dim), tr.make_generator(seed), tr.model_tensor(model))  # (n, Z)
    with tr.eval_mode(model):
        return model(z)  # (n, D)


class Generator(nn.Module):
    """MLP generator G: z (B, latent_dim) -> x (B, output_dim).

    Parameters
    ----------
    latent_dim, output_dim : int
    hidden_dims : tuple of int
    output_activation : {None, "sigmoid", "tanh"}
        ``"sigmoid"`` for data in [0, 1] (images), ``None`` for unbounded data such as the ring.

    See Also
    --------
    ConvGenerator : a small convolutional generator for 8x8 images.

    Examples
    --------
    >>> G = Generator(latent_dim=2, output_dim=2)
    >>> G.sample(5, seed=0).shape
    torch.Size([5, 2])
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

    def sample(self, n: int, *, seed=None):
        """Draw ``n`` samples (n, output_dim) from z ~ N(0, I) (noise from ``seed``), without gradients."""
        return _sample(self, n, seed)


class Discriminator(nn.Module):
    """MLP discriminator: x (B, input_dim) -> logits (B,), with LeakyReLU(0.2) hidden layers.

    Parameters
    ----------
    input_dim : int
    hidden_dims : tuple of int
    spectral_norm : bool
        Wrap every linear layer in spectral normalisation (Miyato et al., 2018), a cheap stabiliser.

    See Also
    --------
    ConvDiscriminator : a small convolutional discriminator for 8x8 images.

    Examples
    --------
    >>> Discriminator(2)(torch.zeros(5, 2)).shape
    torch.Size([5])
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

    Examples
    --------
    >>> ConvGenerator(latent_dim=4, channels=8).sample(3, seed=0).shape
    torch.Size([3, 64])
    """

    def __init__(self, latent_dim: int = 16, channels: int = 64):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.channels = check_positive_int(channels, "channels", minimum=2)
        self.output_dim = 64
        c = self.channels
        self.fc = nn.Sequential(nn.Linear(self.latent_dim, c * 2 * 2), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1), nn.BatchNorm2d(c // 2), nn.ReLU(),
            nn.ConvTranspose2d(c // 2, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, z):
        h = self.fc(z).view(-1, self.channels, 2, 2)  # (B, C, 2, 2)
        return self.deconv(h).flatten(1)  # (B, 1, 8, 8) -> (B, 64)

    def sample(self, n: int, *, seed=None):
        """Draw ``n`` images, shape (n, 64), from z ~ N(0, I) (noise from ``seed``), without gradients."""
        return _sample(self, n, seed)


class ConvDiscriminator(nn.Module):
    """Small convolutional discriminator for flattened 8x8 images: x (B, 64) -> logits (B,).

    Examples
    --------
    >>> ConvDiscriminator(channels=8)(torch.zeros(3, 64)).shape
    torch.Size([3])
    """

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
