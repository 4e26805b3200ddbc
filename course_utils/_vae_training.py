"""The VAE's training loop, :func:`train_vae`; part of :mod:`course_utils.vae` (import it from there).

The loop itself is the shared :func:`course_utils._training.fit_epochs`; the objective is
:meth:`course_utils.vae.VAE.loss_terms`.
"""

from __future__ import annotations

import torch

from . import _training as tr
from ._validation import check_choice, check_positive_float, check_positive_int

__all__ = ["VAEHistory", "train_vae"]


class VAEHistory(tr.TrainingHistory):
    """What :func:`train_vae` records, one row per epoch (a :class:`~course_utils._training.TrainingHistory`).

    Columns, each a per-sample average in nats: ``loss`` (the minimised -(beta-)ELBO = ``reconstruction``
    + beta * ``kl``), ``reconstruction`` (-E_q[log p(x | z)], positive, lower is better) and ``kl``
    (KL(q(z | x) || p(z))), averaged over the epoch's mini-batches while the weights change; with
    ``validation``, also ``val_loss``, ``val_reconstruction`` and ``val_kl`` after each epoch (with the
    same beta, so -ELBO on the validation data is ``val_reconstruction + val_kl``). Plus ``epoch`` and
    ``seconds``.
    """


def train_vae(model, data, *, epochs: int, batch_size: int = 64, lr: float = 1e-3, beta: float = 1.0,
              schedule: str = "constant", validation=None, device=None, progress: bool = True,
              seed=None) -> VAEHistory:
    """Fit a :class:`~course_utils.vae.VAE` by maximising the (beta-)ELBO with Adam.

    Each step minimises the batch mean of the per-sample -ELBO (:meth:`~course_utils.vae.VAE.loss_terms`).

    Parameters
    ----------
    model : VAE
        Trained in place; left in eval mode.
    data : array or tensor (N, D) of any float dtype, or DataLoader
        Training data, cast to the model's dtype and device (a DataLoader may yield ``x`` or ``(x, y)``).
    epochs, batch_size : int
        Passes over the data and mini-batch size (``batch_size`` is ignored for a DataLoader).
    lr : float
        Adam learning rate.
    beta : float
        KL weight; 1 trains the ordinary VAE.
    schedule : {"constant", "cosine"}
        Learning-rate schedule over the run.
    validation : array, tensor (M, D) or DataLoader, optional
        Scored after every epoch with the same objective.
    device : str or torch.device, optional
        ``None`` trains where the model's parameters are; otherwise the model is moved there.
    progress : bool
        Show a progress bar (quiet anyway when ``WORKBOOK_UNATTENDED`` is set).
    seed : int, torch.Generator or None
        Randomness for shuffling and for the reparameterisation noise; the same seed, initial weights
        and data on the CPU give the same numbers. ``None``: unpredictable.

    Returns
    -------
    VAEHistory
        Per-epoch ``loss``, ``reconstruction`` and ``kl`` (and ``val_*``), per sample, in nats.

    Raises
    ------
    ValueError
        For non-positive ``epochs``/``batch_size``/``lr``, data of the wrong width, NaN in the data,
        or a diverged run.

    See Also
    --------
    course_utils.flows.train_flow, course_utils.gan.train_gan : the other trainers, with the same API.

    Examples
    --------
    >>> from course_utils.vae import VAE
    >>> X = (torch.rand(32, 6, generator=torch.Generator().manual_seed(0)) > 0.5).double()  # float64 is fine
    >>> history = train_vae(VAE(6, latent_dim=2, hidden_dims=(8,)), X, epochs=2, progress=False, seed=0)
    >>> list(history)
    ['epoch', 'loss', 'reconstruction', 'kl', 'seconds']
    """
    from .vae import VAE  # here, not at the top: course_utils.vae imports this module

    if not isinstance(model, VAE):
        raise TypeError(f"model must be a course_utils.vae.VAE (got {type(model).__name__})")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    beta = check_positive_float(beta, "beta", allow_zero=True)
    check_choice(schedule, "schedule", tr.LR_SCHEDULES)
    tr.resolve_device(model, device)
    data = tr.prepare_data(data, model, "data", last_dim=model.input_dim)
    if validation is not None:
        validation = tr.prepare_data(validation, model, "validation", last_dim=model.input_dim)
    g = tr.make_generator(seed)

    def loss_terms(x):
        return model.loss_terms(x, beta=beta, seed=g)  # (b,) each

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return tr.fit_epochs(model, data, loss_terms, VAEHistory(), optimizer=optimizer, epochs=epochs,
                         batch_size=batch_size, lr=lr, schedule=schedule, generator=g, validation=validation,
                         progress=progress, desc="train_vae")
