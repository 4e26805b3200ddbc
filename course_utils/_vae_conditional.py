r"""A conditional VAE (Sohn, Lee & Yan, 2015): the label y is given, the latent z keeps the rest ("style").

Both networks see the class as a one-hot vector: the encoder models :math:`q_\phi(z \mid x, y)` and the
decoder :math:`p_\theta(x \mid z, y)`; the prior stays :math:`p(z) = \mathcal N(0, I)`, independent of y. Because
the decoder is told the digit, the code z has no reason to spend nats on it and carries what the label
does not say: slant, stroke width, size, the writer's habits. Keeping z and changing y re-draws the same
handwriting as another digit (a style/content swap).

The objective is the ELBO of notebook 08 with y added to both networks (per sample, in nats):

.. math:: \mathcal L(x, y) = \mathbb E_{q(z \mid x, y)}[\log p(x \mid z, y)]
          - D_{\mathrm{KL}}\big(q(z \mid x, y)\,\|\,\mathcal N(0, I)\big)

It reuses :mod:`course_utils.vae`'s pieces (the MLPs, the reparameterisation, the ELBO terms) and the
shared epoch loop; :func:`train_cvae` takes ``seed``, ``device`` and ``progress`` like every trainer and
never touches torch's global generator. Import it from :mod:`course_utils.vae`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import _training as tr
from ._validation import check_choice, check_positive_float, check_positive_int

__all__ = ["ConditionalVAE", "CVAEHistory", "train_cvae"]


def _one_hot(y, n_classes: int, like: torch.Tensor, name: str = "y") -> torch.Tensor:
    """Labels (B,) of ints in 0..n_classes-1 as a one-hot float tensor (B, n_classes) like ``like``."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    arr = np.asarray(y)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise ValueError(f"{name} must be a 1-D array of integer class labels (got shape {arr.shape}, "
                         f"dtype {arr.dtype}); pass digits.y, not one-hot rows")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(f"{name} must hold labels in 0..{n_classes - 1} (got values from {arr.min()} "
                         f"to {arr.max()})")
    idx = torch.as_tensor(arr.astype(np.int64), device=like.device)  # (B,)
    return torch.nn.functional.one_hot(idx, n_classes).to(like.dtype)  # (B, K)


class ConditionalVAE(nn.Module):
    """A VAE whose encoder and decoder are both given the class label as a one-hot vector.

    Parameters
    ----------
    input_dim : int
        D, the data dimensions (64 for the 8x8 digits).
    n_classes : int
        K, the number of labels (10 for the digits).
    latent_dim : int
        L, the size of the style code z.
    hidden_dims : tuple of int
        Widths of the encoder's hidden layers; the decoder mirrors them.
    likelihood : {"bernoulli", "gaussian"}
        As in :class:`course_utils.vae.VAE`: Bernoulli logits for data in [0, 1] (for grey levels it
        is the usual cross-entropy reconstruction term, not a normalised density), or unit-variance
        Gaussian means.

    Examples
    --------
    >>> model = ConditionalVAE(64, 10, latent_dim=4, hidden_dims=(32,))
    >>> mu, logvar = model.encode(torch.rand(3, 64), [0, 1, 2])  # (3, 4) each
    >>> model.decoder_mean(mu, [7, 7, 7]).shape  # the same three styles, drawn as sevens
    torch.Size([3, 64])
    """

    def __init__(self, input_dim: int, n_classes: int, latent_dim: int = 4, hidden_dims=(256, 256),
                 likelihood: str = "bernoulli"):
        from . import vae  # not at the top: course_utils.vae re-exports this module

        super().__init__()
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        hidden_dims = tuple(check_positive_int(h, "hidden_dims entries") for h in hidden_dims)
        self.likelihood = check_choice(likelihood, "likelihood", vae.LIKELIHOODS)
        self.encoder = vae._mlp((self.input_dim + self.n_classes, *hidden_dims, 2 * self.latent_dim))
        self.decoder = vae._mlp((self.latent_dim + self.n_classes, *hidden_dims[::-1], self.input_dim))

    def encode(self, x, y):
        """``(mu, logvar)`` of q(z | x, y), each (B, L), for images x (B, D) and labels y (B,)."""
        x = tr.as_model_tensor(x, self, "x", last_dim=self.input_dim)  # (B, D)
        h = torch.cat([x, _one_hot(y, self.n_classes, x)], dim=-1)  # (B, D + K)
        mu, logvar = self.encoder(h).chunk(2, dim=-1)  # (B, L), (B, L)
        return mu, logvar

    def decode(self, z, y):
        """Decoder output for codes z (B, L) and labels y (B,): logits (Bernoulli) or means, (B, D)."""
        z = tr.as_model_tensor(z, self, "z", last_dim=self.latent_dim)  # (B, L)
        return self.decoder(torch.cat([z, _one_hot(y, self.n_classes, z)], dim=-1))  # (B, D)

    def decoder_mean(self, z, y):
        """E[x | z, y], (B, D): pixel probabilities (Bernoulli) or the Gaussian means."""
        out = self.decode(z, y)  # (B, D)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def loss_terms(self, x, y, *, beta: float = 1.0, seed=None) -> dict:
        """Per-sample objective of a batch, (B,) tensors in nats: ``loss`` = -(beta-)ELBO, ``reconstruction``
        = -log p(x | z, y) for one z ~ q(z | x, y) drawn from ``seed``, and ``kl``; loss = reconstruction
        + beta * kl."""
        from . import vae

        mu, logvar = self.encode(x, y)  # (B, L)
        z = vae._reparameterize(mu, logvar, tr.make_generator(seed))  # (B, L)
        x = tr.as_model_tensor(x, self, "x", last_dim=self.input_dim)
        terms = vae._elbo(x, self.decode(z, y), mu, logvar, self.likelihood, beta)
        return {"loss": -terms.elbo, "reconstruction": -terms.reconstruction, "kl": terms.kl}

    @torch.no_grad()
    def sample(self, y, *, seed=None):
        """Draw z ~ N(0, I) for each label of y (n,) and return the decoder means (n, D)."""
        n = len(y)
        check_positive_int(n, "len(y)")
        z = tr.randn((n, self.latent_dim), tr.make_generator(seed), tr.model_tensor(self))  # (n, L)
        with tr.eval_mode(self):
            return self.decoder_mean(z, y)


class CVAEHistory(tr.TrainingHistory):
    """What :func:`train_cvae` records per epoch: ``loss`` (-ELBO), ``reconstruction``, ``kl`` (per-sample
    means in nats over the epoch's batches), their ``val_*`` versions with ``validation``, ``epoch``,
    ``seconds`` (as :class:`course_utils.vae.VAEHistory`)."""


def _joined(X, y, model, name: str):
    """Images (N, D) and labels (N,) as one (N, D + 1) tensor, so the shared loop shuffles them together."""
    x = tr.as_model_tensor(X, model, name, last_dim=model.input_dim)  # (N, D)
    labels = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y)
    if labels.shape != (x.shape[0],):
        raise ValueError(f"the labels of {name} must have shape ({x.shape[0]},), one per image "
                         f"(got {labels.shape})")
    onehot = _one_hot(labels, model.n_classes, x, name=f"the labels of {name}")  # checks the values
    return torch.cat([x, onehot.argmax(1, keepdim=True).to(x.dtype)], dim=1)  # (N, D + 1)


def train_cvae(model, X, y, *, epochs: int, batch_size: int = 64, lr: float = 1e-3, beta: float = 1.0,
               schedule: str = "constant", validation=None, device=None, progress: bool = True,
               seed=None) -> CVAEHistory:
    """Fit a :class:`ConditionalVAE` to images X (N, D) with labels y (N,) by maximising the ELBO with Adam.

    Each step minimises the batch mean of the per-sample -ELBO (:meth:`ConditionalVAE.loss_terms`).

    Parameters
    ----------
    model : ConditionalVAE
        Trained in place; left in eval mode.
    X : array or tensor (N, D); y : array or tensor (N,) of ints in 0..K-1
    epochs, batch_size, lr, beta, schedule
        As in :func:`course_utils.vae.train_vae`.
    validation : tuple (X_val, y_val), optional
        Scored after every epoch.
    device : str or torch.device, optional
        ``None`` trains where the model is; otherwise the model is moved there.
    progress : bool
        Show a progress bar.
    seed : int, torch.Generator or None
        Shuffling and reparameterisation noise: the same seed, weights and data on the CPU give the
        same numbers.

    Returns
    -------
    CVAEHistory

    Raises
    ------
    TypeError
        When ``model`` is not a ConditionalVAE. ``ValueError`` for bad settings, labels out of range
        or of the wrong length, data of the wrong width, or a diverged run.

    Examples
    --------
    >>> X = torch.rand(20, 6, generator=torch.Generator().manual_seed(0))
    >>> h = train_cvae(ConditionalVAE(6, 2, latent_dim=2, hidden_dims=(8,)), X, [0, 1] * 10, epochs=2,
    ...                progress=False, seed=0)
    >>> list(h)
    ['epoch', 'loss', 'reconstruction', 'kl', 'seconds']
    """
    if not isinstance(model, ConditionalVAE):
        raise TypeError(f"model must be a ConditionalVAE (got {type(model).__name__})")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    beta = check_positive_float(beta, "beta", allow_zero=True)
    check_choice(schedule, "schedule", tr.LR_SCHEDULES)
    tr.resolve_device(model, device)
    data = _joined(X, y, model, "X")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ValueError("validation must be a pair (X_val, y_val)")
        validation = _joined(*validation, model, "validation")
    g = tr.make_generator(seed)
    D = model.input_dim

    def loss_terms(batch):  # batch (b, D + 1): the images, then the label
        return model.loss_terms(batch[:, :D], batch[:, D].long(), beta=beta, seed=g)  # (b,) each

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return tr.fit_epochs(model, data, loss_terms, CVAEHistory(), optimizer=optimizer, epochs=epochs,
                         batch_size=batch_size, lr=lr, schedule=schedule, generator=g, validation=validation,
                         progress=progress, desc="train_cvae")
