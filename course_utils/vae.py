"""Variational autoencoders: the reparameterisation trick, the ELBO, an MLP VAE and its training loop.

The maths lives in pure functions (:func:`reparameterize`, :func:`gaussian_kl`, :func:`elbo`,
:func:`iwae_log_likelihood`); :class:`VAE` holds the networks and :func:`train_vae` runs the loop.
All log-likelihoods are in nats and are *per sample* (summed over data or latent dimensions).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ._validation import (
    as_float_tensor,
    check_choice,
    check_positive_float,
    check_positive_int,
    check_same_shape,
    check_torch_generator,
)
from .runtime import TrainingHistory
from .runtime import progress as _progress

__all__ = ["reparameterize", "gaussian_kl", "elbo", "ELBOTerms", "VAE", "train_vae", "VAEHistory",
           "iwae_log_likelihood", "pick_beta"]

LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)


# --- pure functions -------------------------------------------------------------------------------

def _randn(shape, generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise drawn on ``generator``'s device, returned on ``like``'s device and dtype."""
    eps = torch.randn(shape, generator=generator, device=generator.device)
    return eps.to(device=like.device, dtype=like.dtype)


def reparameterize(mu, logvar, generator=None):
    """Draw z ~ N(mu, diag(exp(logvar))) as a differentiable function of ``mu`` and ``logvar``.

    Parameters
    ----------
    mu, logvar : torch.Tensor, shape (B, L)
        Mean and log-variance of the approximate posterior q(z | x).
    generator : torch.Generator or int, optional
        Source of the noise ``eps``; an int is a seed. ``None`` draws fresh noise.

    Returns
    -------
    z : torch.Tensor, shape (B, L)

    Notes
    -----
    .. math:: z = \\mu + \\exp(\\tfrac12 \\log\\sigma^2) \\odot \\epsilon, \\quad \\epsilon \\sim N(0, I)

    Examples
    --------
    >>> z = reparameterize(torch.zeros(4, 2), torch.zeros(4, 2), generator=0)  # (4, 2)
    """
    mu = as_float_tensor(mu, "mu")
    logvar = as_float_tensor(logvar, "logvar")
    check_same_shape(mu, logvar, "mu", "logvar")
    g = check_torch_generator(generator)
    return _reparameterize(mu, logvar, g)


def _reparameterize(mu, logvar, generator):
    eps = _randn(mu.shape, generator, mu)  # (B, L)
    return mu + torch.exp(0.5 * logvar) * eps  # (B, L)


def gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) in closed form, summed over latent dimensions.

    Parameters
    ----------
    mu, logvar : torch.Tensor, shape (B, L)

    Returns
    -------
    kl : torch.Tensor, shape (B,)
        One value per sample, in nats; never negative.

    Notes
    -----
    .. math:: \\mathrm{KL} = \\tfrac12 \\sum_j \\left(\\mu_j^2 + \\sigma_j^2 - 1 - \\log\\sigma_j^2\\right)
    """
    mu = as_float_tensor(mu, "mu")
    logvar = as_float_tensor(logvar, "logvar")
    check_same_shape(mu, logvar, "mu", "logvar")
    return _gaussian_kl(mu, logvar)


def _gaussian_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)  # (B,)


def _log_likelihood(x, decoder_output, likelihood: str):
    """log p(x | z) summed over the last dimension; Bernoulli takes logits, Gaussian a mean (unit variance)."""
    if likelihood == "bernoulli":
        return -F.binary_cross_entropy_with_logits(decoder_output, x, reduction="none").sum(-1)  # (...,)
    return -0.5 * ((x - decoder_output).pow(2) + _LOG_2PI).sum(-1)  # (...,)


@dataclass
class ELBOTerms:
    """Per-sample terms of the evidence lower bound, each a tensor of shape (B,), in nats.

    ``elbo = reconstruction - beta * kl``.
    """

    elbo: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


def elbo(x, decoder_output, mu, logvar, *, likelihood: str = "bernoulli", beta: float = 1.0) -> ELBOTerms:
    """Evidence lower bound of each sample, with one Monte Carlo sample for the reconstruction term.

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
    .. math:: \\mathcal{L}(x) = \\mathbb{E}_{q(z|x)}[\\log p(x|z)] - \\beta\\,\\mathrm{KL}(q(z|x)\\,\\|\\,p(z))
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
    kl = _gaussian_kl(mu, logvar)  # (B,)
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
    >>> logits, mu, logvar = model(torch.rand(5, 64))  # (5, 64), (5, 2), (5, 2)
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

    def forward(self, x, generator=None):
        """Encode, sample z with the reparameterisation trick, decode.

        Returns ``(decoder_output, mu, logvar)`` of shapes (B, D), (B, L), (B, L).
        """
        g = check_torch_generator(generator)
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar, g)  # (B, L)
        return self.decode(z), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator=None):
        """Draw z ~ N(0, I) and return the mean of p(x | z): probabilities or Gaussian means, (n, D)."""
        n = check_positive_int(n, "n")
        p = next(self.parameters())
        z = _randn((n, self.latent_dim), check_torch_generator(generator), p)  # (n, L)
        out = self.decode(z)  # (n, D)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out


# --- training and evaluation ----------------------------------------------------------------------

@dataclass
class VAEHistory(TrainingHistory):
    """What :func:`train_vae` records, one entry per epoch.

    ELBO terms are averages per sample, in nats (``train_*`` over the epoch's mini-batches while the
    weights change, ``val_*`` after the epoch; ``val_*`` stay empty without ``validation``).
    ``seconds`` is the wall time since the start. ``history["train_elbo"]`` works like
    ``history.train_elbo``; :meth:`as_dict` gives a plain dict (e.g. for ``pandas.DataFrame``).
    """

    epoch: list = field(default_factory=list)
    train_elbo: list = field(default_factory=list)
    train_reconstruction: list = field(default_factory=list)
    train_kl: list = field(default_factory=list)
    val_elbo: list = field(default_factory=list)
    val_reconstruction: list = field(default_factory=list)
    val_kl: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


def _resolve_device(model: nn.Module, device):
    """``None`` follows the model's parameters; otherwise move the model to ``device``."""
    if device is None:
        return next(model.parameters()).device
    device = torch.device(device)
    model.to(device)
    return device


def _check_data(data, name: str, input_dim: int):
    """Validate a (N, D) tensor, or pass a DataLoader through."""
    if isinstance(data, torch.utils.data.DataLoader):
        return data
    return as_float_tensor(data, name, ndim=2, last_dim=input_dim)


def _batches(data, batch_size, generator, device, shuffle):
    """Yield (b, D) batches of a tensor (shuffled with ``generator``) or of a DataLoader's first item."""
    if isinstance(data, torch.utils.data.DataLoader):
        for batch in data:
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            yield x.to(device=device, dtype=torch.get_default_dtype())
        return
    n = data.shape[0]
    order = torch.randperm(n, generator=generator, device=generator.device) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        yield data[order[start:start + batch_size].to(data.device)]  # (b, D)


def _n_batches(data, batch_size):
    if isinstance(data, torch.utils.data.DataLoader):
        return len(data)
    return math.ceil(data.shape[0] / batch_size)


def _epoch_means(sums, count):
    return [s / count for s in sums]


def train_vae(model: VAE, data, *, epochs: int, batch_size: int = 64, lr: float = 1e-3, beta: float = 1.0,
              validation=None, device=None, progress: bool = True, generator=None) -> VAEHistory:
    """Fit a :class:`VAE` by maximising the (beta-)ELBO with Adam.

    Parameters
    ----------
    model : VAE
        Trained in place.
    data : torch.Tensor of shape (N, D), or a DataLoader
        Training data (a DataLoader may yield ``x`` or ``(x, y)`` tuples).
    epochs, batch_size : int
        Passes over the data and mini-batch size (``batch_size`` is ignored for a DataLoader).
    lr : float
        Adam learning rate.
    beta : float
        KL weight; 1 trains the ordinary VAE.
    validation : torch.Tensor of shape (M, D), or a DataLoader, optional
        Scored after every epoch (with beta = 1, so ``val_elbo`` is a true bound).
    device : str or torch.device, optional
        ``None`` trains where the model's parameters are; otherwise the model is moved there.
    progress : bool
        Show a progress bar (quiet anyway when ``WORKBOOK_UNATTENDED`` is set).
    generator : torch.Generator or int, optional
        Randomness for shuffling and for the reparameterisation noise. Same seed, same weights and
        same data on the CPU give the same numbers.

    Returns
    -------
    VAEHistory
        Per-epoch ELBO, reconstruction and KL (train and validation), averaged per sample, in nats.

    Raises
    ------
    ValueError
        For non-positive ``epochs``/``batch_size``/``lr``, data of the wrong width, or NaN in the data.
    """
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a course_utils.vae.VAE (got {type(model).__name__})")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    beta = check_positive_float(beta, "beta", allow_zero=True)
    data = _check_data(data, "data", model.input_dim)
    if validation is not None:
        validation = _check_data(validation, "validation", model.input_dim)
    device = _resolve_device(model, device)
    if isinstance(data, torch.Tensor):
        data = data.to(device)
    g = check_torch_generator(generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = VAEHistory()
    start = time.perf_counter()
    bar = _progress(range(epochs), total=epochs, desc="train_vae", enabled=progress)
    for epoch in bar:
        model.train()
        sums, count = [0.0, 0.0, 0.0], 0
        for x in _batches(data, batch_size, g, device, shuffle=True):
            decoder_output, mu, logvar = model(x, generator=g)
            terms = _elbo(x, decoder_output, mu, logvar, model.likelihood, beta)
            loss = -terms.elbo.mean()  # averaged over the batch
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            for i, t in enumerate((terms.elbo, terms.reconstruction, terms.kl)):
                sums[i] += float(t.detach().sum())
            count += x.shape[0]
        elbo_, rec, kl = _epoch_means(sums, count)
        history.epoch.append(epoch + 1)
        history.train_elbo.append(elbo_)
        history.train_reconstruction.append(rec)
        history.train_kl.append(kl)
        if validation is not None:
            v_elbo, v_rec, v_kl = _evaluate(model, validation, batch_size, g, device)
            history.val_elbo.append(v_elbo)
            history.val_reconstruction.append(v_rec)
            history.val_kl.append(v_kl)
        history.seconds.append(time.perf_counter() - start)
        if not math.isfinite(elbo_):
            raise ValueError(f"training diverged at epoch {epoch + 1} (train ELBO {elbo_}); lower lr")
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(elbo=f"{elbo_:.2f}")
    model.eval()
    return history


@torch.no_grad()
def _evaluate(model, data, batch_size, generator, device):
    was_training = model.training
    model.eval()
    sums, count = [0.0, 0.0, 0.0], 0
    for x in _batches(data, batch_size, generator, device, shuffle=False):
        decoder_output, mu, logvar = model(x.to(device), generator=generator)
        terms = _elbo(x.to(device), decoder_output, mu, logvar, model.likelihood, 1.0)
        for i, t in enumerate((terms.elbo, terms.reconstruction, terms.kl)):
            sums[i] += float(t.sum())
        count += x.shape[0]
    model.train(was_training)
    return _epoch_means(sums, count)


@torch.no_grad()
def iwae_log_likelihood(model: VAE, x, k: int = 100, *, generator=None):
    """Importance-weighted estimate of log p(x) with ``k`` samples from q(z | x) (Burda et al., 2016).

    Parameters
    ----------
    model : VAE
    x : torch.Tensor, shape (B, D)
    k : int
        Number of importance samples; k = 1 is an unbiased estimate of the ELBO, and the bound
        tightens towards log p(x) as k grows.
    generator : torch.Generator or int, optional

    Returns
    -------
    log_px : torch.Tensor, shape (B,)
        One estimate per sample, in nats (its negative mean is the usual "NLL").

    Notes
    -----
    .. math:: \\log p(x) \\ge \\log \\frac1k \\sum_{i=1}^k \\frac{p(x \\mid z_i)\\, p(z_i)}{q(z_i \\mid x)},
       \\qquad z_i \\sim q(z \\mid x)
    """
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a course_utils.vae.VAE (got {type(model).__name__})")
    k = check_positive_int(k, "k")
    x = as_float_tensor(x, "x", ndim=2, last_dim=model.input_dim)
    device = next(model.parameters()).device
    x = x.to(device)
    g = check_torch_generator(generator)
    was_training = model.training
    model.eval()
    rows = max(1, 2**20 // (k * max(model.input_dim, model.latent_dim)))  # keep (k, rows, D) ~ 1M numbers
    out = [_iwae_chunk(model, x[i:i + rows], k, g) for i in range(0, x.shape[0], rows)]
    model.train(was_training)
    return torch.cat(out)  # (B,)


def _iwae_chunk(model, x, k, generator):
    mu, logvar = model.encode(x)  # (B, L)
    eps = _randn((k, *mu.shape), generator, mu)  # (k, B, L)
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
    """
    within = [entry for entry in sweep if entry["distortion"] <= max_distortion]
    if not within:
        return None
    return min(within, key=lambda entry: entry["rate"])["beta"]
