r"""Variational autoencoders: the reparameterisation trick, the ELBO, an MLP VAE and its training loop.

The maths lives in pure functions (:func:`reparameterize`, :func:`gaussian_kl`, :func:`kl_per_dimension`,
:func:`elbo`, :func:`iwae_log_likelihood`); :class:`VAE` holds the networks; :func:`train_vae`
(``_vae_training.py``) and :class:`ConditionalVAE` (``_vae_conditional.py``) run on the shared training core.
Log-likelihoods are in nats, per sample; randomness comes from ``seed`` (an int or a Generator), never global.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import _training as tr
from ._vae_conditional import ConditionalVAE, CVAEHistory, train_cvae
from ._vae_training import VAEHistory, train_vae
from ._validation import (
    as_float_tensor,
    check_choice,
    check_positive_float,
    check_positive_int,
    check_same_shape,
)

__all__ = ["reparameterize", "gaussian_kl", "kl_per_dimension", "elbo", "ELBOTerms", "VAE", "train_vae",
           "VAEHistory", "iwae_log_likelihood", "pick_beta", "ConditionalVAE", "CVAEHistory", "train_cvae"]

LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)


# --- pure functions -------------------------------------------------------------------------------

def reparameterize(mu, logvar, seed=None):
    r"""Draw z ~ N(mu, diag(exp(logvar))) as a differentiable function of ``mu`` and ``logvar``.

    Parameters
    ----------
    mu, logvar : torch.Tensor, shape (B, L)
        Mean and log-variance of the approximate posterior q(z | x).
    seed : int, torch.Generator or None
        Source of the noise ``eps``: an int gives the same noise every time, a generator continues its
        stream, ``None`` draws fresh noise.

    Returns
    -------
    z : torch.Tensor, shape (B, L)

    Notes
    -----
    .. math:: z = \mu + \exp(\tfrac12 \log\sigma^2) \odot \epsilon, \quad \epsilon \sim N(0, I)

    Examples
    --------
    >>> z = reparameterize(torch.zeros(4, 2), torch.zeros(4, 2), seed=0)  # (4, 2)
    """
    mu = as_float_tensor(mu, "mu")
    logvar = as_float_tensor(logvar, "logvar")
    check_same_shape(mu, logvar, "mu", "logvar")
    return _reparameterize(mu, logvar, tr.make_generator(seed))


def _reparameterize(mu, logvar, generator):
    eps = tr.randn(mu.shape, generator, mu)  # (B, L)
    return mu + torch.exp(0.5 * logvar) * eps  # (B, L)


def gaussian_kl(mu, logvar):
    r"""KL(N(mu, diag exp(logvar)) || N(0, I)) in closed form, summed over latent dimensions.

    Parameters
    ----------
    mu, logvar : torch.Tensor, shape (B, L)

    Returns
    -------
    kl : torch.Tensor, shape (B,)
        One value per sample, in nats; never negative.

    Notes
    -----
    .. math:: \mathrm{KL} = \tfrac12 \sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\right)

    See Also
    --------
    kl_per_dimension : the same terms averaged over the batch, one per latent dimension.

    Examples
    --------
    >>> float(gaussian_kl(torch.zeros(1, 3), torch.zeros(1, 3)))  # q is the prior
    0.0
    """
    mu = as_float_tensor(mu, "mu")
    logvar = as_float_tensor(logvar, "logvar")
    check_same_shape(mu, logvar, "mu", "logvar")
    return _kl_terms(mu, logvar).sum(-1)  # (B,)


def _kl_terms(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)  # (..., L)


def kl_per_dimension(mu, logvar):
    r"""Mean KL(q(z_j | x) || N(0, 1)) of each latent dimension j over a batch: which ones carry information.

    A dimension whose value is close to 0 ignores its input (posterior collapse onto the prior).

    Parameters
    ----------
    mu, logvar : torch.Tensor, shape (B, L)
        Encoder outputs for a batch, e.g. ``model.encode(X)``.

    Returns
    -------
    torch.Tensor, shape (L,)
        In nats, averaged over the B rows; it sums to the batch mean of :func:`gaussian_kl`.

    Notes
    -----
    .. math:: \mathrm{KL}_j = \frac1B \sum_{i=1}^B
              \tfrac12\left(\mu_{ij}^2 + \sigma_{ij}^2 - 1 - \log\sigma_{ij}^2\right)

    See Also
    --------
    gaussian_kl : the same terms summed over dimensions, one value per sample.

    Examples
    --------
    >>> kl_per_dimension(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2))
    tensor([0.5000, 0.0000])
    """
    mu = as_float_tensor(mu, "mu", ndim=2)
    logvar = as_float_tensor(logvar, "logvar", ndim=2)
    check_same_shape(mu, logvar, "mu", "logvar")
    return _kl_terms(mu, logvar).mean(0)  # (L,)


def _log_likelihood(x, decoder_output, likelihood: str):
    """log p(x | z) summed over the last dimension; Bernoulli takes logits, Gaussian a mean (variance 1)."""
    if likelihood == "bernoulli":
        return -F.binary_cross_entropy_with_logits(decoder_output, x, reduction="none").sum(-1)  # (...,)
    return -0.5 * ((x - decoder_output).pow(2) + _LOG_2PI).sum(-1)  # (...,)


@dataclass
class ELBOTerms:
    """Per-sample terms of the evidence lower bound, each a tensor of shape (B,), in nats.

    ``elbo = reconstruction - beta * kl``; ``reconstruction`` is log p(x | z) (higher is better).
    """

    elbo: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


def elbo(x, decoder_output, mu, logvar, *, likelihood: str = "bernoulli", beta: float = 1.0) -> ELBOTerms:
    r"""Evidence lower bound of each sample, with one Monte Carlo sample for the reconstruction term.

    Parameters
    ----------
    x : torch.Tensor, shape (B, D)
        Data. For ``likelihood="bernoulli"`` the values must lie in [0, 1].
    decoder_output : torch.Tensor, shape (B, D)
        Decoder output for z ~ q(z | x): Bernoulli **logits**, or the Gaussian mean (unit variance).
    mu, logvar : torch.Tensor, shape (B, L)
        Parameters of q(z | x).
    likelihood : {"bernoulli", "gaussian"}
    beta : float
        Weight of the KL term (beta-VAE); 1 gives the ELBO.

    Returns
    -------
    ELBOTerms
        ``.elbo``, ``.reconstruction`` (log p(x | z), summed over D) and ``.kl`` (summed over L),
        each of shape (B,). Average them yourself to get a loss: ``loss = -terms.elbo.mean()``.

    Notes
    -----
    .. math:: \mathcal{L}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - \beta\,\mathrm{KL}(q(z|x)\,\|\,p(z))

    Examples
    --------
    >>> terms = elbo(torch.ones(1, 2), torch.zeros(1, 2), torch.zeros(1, 3), torch.zeros(1, 3))
    >>> round(float(terms.elbo), 4)  # two pixels, each with probability 1/2: 2 log(1/2)
    -1.3863
    """
    check_choice(likelihood, "likelihood", LIKELIHOODS)
    beta = check_positive_float(beta, "beta", allow_zero=True)
    x = as_float_tensor(x, "x", ndim=2)
    decoder_output = as_float_tensor(decoder_output, "decoder_output", ndim=2)
    check_same_shape(x, decoder_output, "x", "decoder_output")
    mu = as_float_tensor(mu, "mu", ndim=2)
    logvar = as_float_tensor(logvar, "logvar", ndim=2)
    check_same_shape(mu, logvar, "mu", "logvar")
    if mu.shape[0] != x.shape[0]:
        raise ValueError(f"mu must have one row per row of x (got {mu.shape[0]} rows for {x.shape[0]})")
    if likelihood == "bernoulli" and bool(((x < 0) | (x > 1)).any()):
        raise ValueError(f"x must lie in [0, 1] for likelihood='bernoulli' (got values in "
                         f"[{x.min().item():.3g}, {x.max().item():.3g}]); binarise or rescale it, "
                         f"or use likelihood='gaussian'")
    return _elbo(x, decoder_output, mu, logvar, likelihood, beta)


def _elbo(x, decoder_output, mu, logvar, likelihood, beta):
    reconstruction = _log_likelihood(x, decoder_output, likelihood)  # (B,)
    kl = _kl_terms(mu, logvar).sum(-1)  # (B,)
    return ELBOTerms(elbo=reconstruction - beta * kl, reconstruction=reconstruction, kl=kl)


# --- the model ------------------------------------------------------------------------------------

def _mlp(sizes) -> nn.Sequential:
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """A VAE with MLP encoder and decoder and a standard normal prior.

    Parameters
    ----------
    input_dim : int
        D, the number of data dimensions (flatten images first).
    latent_dim : int
        L, the number of latent dimensions.
    hidden_dims : tuple of int
        Widths of the encoder's hidden layers; the decoder mirrors them.
    likelihood : {"bernoulli", "gaussian"}
        ``"bernoulli"``: the decoder outputs logits (data in [0, 1]); ``"gaussian"``: it outputs the
        mean of a unit-variance Gaussian (standardise the data first).

    Examples
    --------
    >>> model = VAE(64, latent_dim=2)
    >>> logits, mu, logvar = model(torch.rand(5, 64), seed=0)  # (5, 64), (5, 2), (5, 2)
    >>> model.sample(3, seed=0).shape  # decoder means: pixel probabilities
    torch.Size([3, 64])
    """

    def __init__(self, input_dim: int, latent_dim: int = 8, hidden_dims=(256, 256),
                 likelihood: str = "bernoulli"):
        super().__init__()
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        hidden_dims = tuple(check_positive_int(h, "hidden_dims entries") for h in hidden_dims)
        self.likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
        self.encoder = _mlp((self.input_dim, *hidden_dims, 2 * self.latent_dim))
        self.decoder = _mlp((self.latent_dim, *hidden_dims[::-1], self.input_dim))

    def encode(self, x):
        """Return ``(mu, logvar)`` of q(z | x), each of shape (B, L), for ``x`` of shape (B, D)."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)  # (B, L), (B, L)
        return mu, logvar

    def decode(self, z):
        """Decoder output for ``z`` of shape (B, L): logits (Bernoulli) or means (Gaussian), (B, D)."""
        return self.decoder(z)

    def decoder_mean(self, z):
        """E[x | z] for ``z`` (B, L): pixel probabilities (Bernoulli) or the means (Gaussian), (B, D)."""
        out = self.decode(z)  # (B, D)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def forward(self, x, seed=None):
        """Encode, sample z with the reparameterisation trick (noise from ``seed``), decode.

        Returns ``(decoder_output, mu, logvar)`` of shapes (B, D), (B, L), (B, L).
        """
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar, tr.make_generator(seed))  # (B, L)
        return self.decode(z), mu, logvar

    def loss_terms(self, x, *, beta: float = 1.0, seed=None) -> dict:
        """The per-sample training objective of a batch ``x`` (B, D), for :func:`train_vae`.

        Returns a dict of tensors of shape (B,), in nats: ``"loss"`` = -(beta-)ELBO (minimised),
        ``"reconstruction"`` = -log p(x | z) for one z ~ q(z | x) drawn from ``seed`` (positive), and
        ``"kl"`` = KL(q(z | x) || p(z)). So ``loss = reconstruction + beta * kl``.
        """
        decoder_output, mu, logvar = self(x, seed=seed)
        terms = _elbo(x, decoder_output, mu, logvar, self.likelihood, beta)
        return {"loss": -terms.elbo, "reconstruction": -terms.reconstruction, "kl": terms.kl}

    @torch.no_grad()
    def sample(self, n: int, *, seed=None, mean: bool = True):
        """Draw z ~ N(0, I) and decode it: ``n`` samples of shape (n, D).

        Parameters
        ----------
        n : int
        seed : int, torch.Generator or None
        mean : bool
            ``True`` (default) returns the decoder means E[x | z]: pixel probabilities in [0, 1] for a
            Bernoulli VAE (the grey images usually shown), the Gaussian means otherwise. ``False`` draws
            actual samples x ~ p(x | z): 0/1 pixels for Bernoulli, means plus unit-variance noise for
            Gaussian. The same ``seed`` gives the same z either way.
        """
        n = check_positive_int(n, "n")
        g = tr.make_generator(seed)
        p = tr.model_tensor(self)
        z = tr.randn((n, self.latent_dim), g, p)  # (n, L)
        with tr.eval_mode(self):
            x_mean = self.decoder_mean(z)  # (n, D)
        if mean:
            return x_mean
        if self.likelihood == "bernoulli":
            return (tr.rand(x_mean.shape, g, x_mean) < x_mean).to(x_mean.dtype)  # (n, D) in {0, 1}
        return x_mean + tr.randn(x_mean.shape, g, x_mean)  # (n, D)


# --- evaluation ---------------------------------------------------------------------------------

@torch.no_grad()
def iwae_log_likelihood(model: VAE, x, k: int = 100, *, seed=None):
    r"""Importance-weighted estimate of log p(x) with ``k`` samples from q(z | x) (Burda et al., 2016).

    Parameters
    ----------
    model : VAE
    x : array or tensor, shape (B, D)
        Cast to the model's dtype and device.
    k : int
        Number of importance samples; k = 1 is an unbiased estimate of the ELBO, and the bound
        tightens towards log p(x) as k grows.
    seed : int, torch.Generator or None

    Returns
    -------
    log_px : torch.Tensor, shape (B,)
        One estimate per sample, in nats (its negative mean is the usual "NLL").

    Notes
    -----
    .. math:: \log p(x) \ge \log \frac1k \sum_{i=1}^k \frac{p(x \mid z_i)\, p(z_i)}{q(z_i \mid x)},
       \qquad z_i \sim q(z \mid x)

    Examples
    --------
    >>> iwae_log_likelihood(VAE(6, latent_dim=2), torch.ones(4, 6), k=10, seed=0).shape
    torch.Size([4])
    """
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a course_utils.vae.VAE (got {type(model).__name__})")
    k = check_positive_int(k, "k")
    x = tr.as_model_tensor(x, model, "x", last_dim=model.input_dim)
    g = tr.make_generator(seed)
    rows = max(1, 2**20 // (k * max(model.input_dim, model.latent_dim)))  # keep (k, rows, D) ~ 1M numbers
    with tr.eval_mode(model):
        out = [_iwae_chunk(model, x[i:i + rows], k, g) for i in range(0, x.shape[0], rows)]
    return torch.cat(out)  # (B,)


def _iwae_chunk(model, x, k, generator):
    mu, logvar = model.encode(x)  # (B, L)
    eps = tr.randn((k, *mu.shape), generator, mu)  # (k, B, L)
    z = mu + torch.exp(0.5 * logvar) * eps  # (k, B, L)
    decoder_output = model.decode(z.reshape(-1, mu.shape[-1])).reshape(k, x.shape[0], -1)  # (k, B, D)
    log_px_z = _log_likelihood(x.expand(k, -1, -1), decoder_output, model.likelihood)  # (k, B)
    log_pz = -0.5 * (z.pow(2) + _LOG_2PI).sum(-1)  # (k, B)
    log_qz = -0.5 * (eps.pow(2) + logvar + _LOG_2PI).sum(-1)  # (k, B)
    log_w = log_px_z + log_pz - log_qz  # (k, B)
    return torch.logsumexp(log_w, dim=0) - math.log(k)  # (B,)


def pick_beta(sweep, max_distortion: float):
    """The β of a sweep that compresses most while reconstructing well enough.

    Parameters
    ----------
    sweep : list of dict
        One entry per trained model, with keys ``"beta"``, ``"distortion"`` (−E[log p(x|z)], nats) and
        ``"rate"`` (KL(q(z|x) ‖ p(z)), nats).
    max_distortion : float
        The reconstruction budget in nats.

    Returns
    -------
    float or None
        The ``beta`` of the entry with the lowest rate among those whose distortion is at most
        ``max_distortion``; ``None`` when no entry meets the budget. Ties in rate go to the earlier entry.

    Examples
    --------
    >>> pick_beta([{"beta": 1.0, "distortion": 10.0, "rate": 5.0},
    ...            {"beta": 4.0, "distortion": 30.0, "rate": 1.0}], max_distortion=20.0)
    1.0
    """
    within = [entry for entry in sweep if entry["distortion"] <= max_distortion]
    if not within:
        return None
    return min(within, key=lambda entry: entry["rate"])["beta"]
