"""The training core shared by every trainer (``train_vae``, ``train_gan``, ``train_flow`` and those to come).

- **data**: an array or tensor (N, D) of any float, integer or boolean dtype is cast to the model's dtype
  and moved to its device (:func:`as_model_tensor`); a ``DataLoader`` yielding ``x`` or ``(x, y, ...)`` is
  cast batch by batch (:func:`prepare_data`); step-based trainers also take ``sample_real(n)``
  (:func:`stream`).
- **device**: ``None`` follows the model's parameters; anything else moves the model (:func:`resolve_device`).
- **randomness**: the keyword is ``seed`` everywhere: an int, a ``torch.Generator`` (consumed: successive
  calls continue its stream) or ``None`` for a fresh unpredictable generator (:func:`make_generator`);
  torch's global generator is never used. Noise comes from :func:`randn` and :func:`rand`.
- the learning-rate schedules (:func:`scheduled_lr`), an eval-mode context (:func:`eval_mode`), the batch
  iterators (:func:`batches`, :func:`stream`), the epoch loop of the likelihood-based trainers
  (:func:`fit_epochs`) and the history they return (:class:`TrainingHistory`, from ``_history``).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import numbers
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import nn

from ._history import RunningMeans, TrainingHistory, check_finite_loss
from ._validation import as_float_tensor, check_choice
from .runtime import progress as _progress

__all__ = ["resolve_device", "model_tensor", "as_model_tensor", "prepare_data", "LoaderData",
           "make_generator", "randn", "rand", "batches", "n_batches", "stream", "LR_SCHEDULES",
           "scheduled_lr", "set_lr", "eval_mode", "evaluate", "fit_epochs", "RunningMeans",
           "check_finite_loss", "TrainingHistory"]

#: The learning-rate schedules every trainer accepts.
LR_SCHEDULES = ("cosine", "constant")


# --- device and dtype -----------------------------------------------------------------------------

def model_tensor(model: nn.Module) -> torch.Tensor:
    """The model's first parameter (or buffer): where its device and dtype are read from."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor
    raise ValueError(f"model {type(model).__name__} has no parameters or buffers, so it has no device or "
                     f"dtype to follow; give it at least one parameter")


def resolve_device(model: nn.Module, device=None) -> torch.device:
    """The device to train on: ``None`` follows ``model``'s parameters, anything else moves ``model`` there.

    Parameters
    ----------
    model : nn.Module
    device : str or torch.device, optional

    Returns
    -------
    torch.device

    Examples
    --------
    >>> resolve_device(nn.Linear(2, 1)).type
    'cpu'
    """
    if device is None:
        return model_tensor(model).device
    device = torch.device(device)
    model.to(device)
    return device


def as_model_tensor(data, model: nn.Module, name: str, *, last_dim: int | None = None) -> torch.Tensor:
    """Validate (N, D) data and return it as a tensor with the model's dtype, on the model's device.

    Parameters
    ----------
    data : numpy.ndarray, torch.Tensor or nested list, shape (N, D)
        Any float, integer or boolean dtype.
    model : nn.Module
        Whose first parameter gives the dtype and device.
    name : str
        The argument's name, for error messages (``"data"``, ``"validation"``).
    last_dim : int, optional
        The number of columns the model expects.

    Returns
    -------
    torch.Tensor, shape (N, D)

    Raises
    ------
    TypeError
        When ``data`` is not numbers. ``ValueError`` when it is not 2-D, has the wrong number of
        columns, is empty, or holds NaN or inf.

    Examples
    --------
    >>> as_model_tensor(np.zeros((3, 2)), nn.Linear(2, 1), "data").dtype  # float64 in, float32 out
    torch.float32
    """
    p = model_tensor(model)
    if not isinstance(data, torch.Tensor):
        try:
            data = torch.from_numpy(np.asarray(data, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array or tensor of numbers "
                            f"(got {type(data).__name__})") from exc
    x = as_float_tensor(data, name, ndim=2, last_dim=last_dim)
    return x.to(device=p.device, dtype=p.dtype)


class LoaderData:
    """A DataLoader whose batches (``x`` or ``(x, y, ...)``; only ``x`` is used) come out with the model's
    dtype and device. Made by :func:`prepare_data`."""

    def __init__(self, loader, dtype: torch.dtype, device: torch.device, name: str, last_dim: int | None):
        self.loader, self.dtype, self.device, self.name, self.last_dim = loader, dtype, device, name, last_dim

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[torch.Tensor]:
        for batch in self.loader:
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            x = torch.as_tensor(x)
            if x.ndim != 2 or (self.last_dim is not None and x.shape[1] != self.last_dim):
                want = f"(b, {self.last_dim})" if self.last_dim is not None else "(b, D)"
                raise ValueError(f"the batches of {self.name} must have shape {want} "
                                 f"(got {tuple(x.shape)}); flatten images first")
            yield x.to(device=self.device, dtype=self.dtype)


def prepare_data(data, model: nn.Module, name: str = "data", *, last_dim: int | None = None):
    """:func:`as_model_tensor` for arrays and tensors; a :class:`LoaderData` for a ``DataLoader``."""
    if isinstance(data, torch.utils.data.DataLoader):
        p = model_tensor(model)
        return LoaderData(data, p.dtype, p.device, name, last_dim)
    return as_model_tensor(data, model, name, last_dim=last_dim)


# --- randomness -----------------------------------------------------------------------------------

def make_generator(seed=None, name: str = "seed") -> torch.Generator:
    """Turn ``seed`` into a ``torch.Generator``, the same way for every function of the package.

    Parameters
    ----------
    seed : int, torch.Generator or None
        An int gives a new CPU generator seeded with it (same int, same numbers); a generator is
        returned as it is, so drawing from it advances the caller's stream; ``None`` gives a new
        generator with an unpredictable seed. Global random state is never read or changed.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    torch.Generator

    Raises
    ------
    TypeError
        For anything else (``True``, ``1.5``, a NumPy generator).

    Examples
    --------
    >>> a, b = make_generator(0), make_generator(0)
    >>> bool(torch.equal(torch.rand(3, generator=a), torch.rand(3, generator=b)))
    True
    """
    if isinstance(seed, torch.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        g = torch.Generator()
        if seed is None:
            g.seed()  # from the operating system's entropy, not from torch's global generator
        else:
            g.manual_seed(int(seed))
        return g
    raise TypeError(f"{name} must be an int, a torch.Generator or None (got {type(seed).__name__} {seed!r}); "
                    f"NumPy generators are for the NumPy side (rng=)")


def _noise_dtype(like: torch.Tensor) -> torch.dtype:
    """float64 noise for float64 tensors; float32 noise (then cast) for every other dtype."""
    return torch.float64 if like.dtype == torch.float64 else torch.float32


def randn(shape, generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise of ``shape``, drawn on ``generator``'s device, returned on ``like``'s device
    and dtype (so an int seed gives the same numbers whatever device the model is on).

    Examples
    --------
    >>> randn((2, 3), make_generator(0), torch.zeros(1)).shape
    torch.Size([2, 3])
    """
    eps = torch.randn(shape, generator=generator, device=generator.device, dtype=_noise_dtype(like))
    return eps.to(device=like.device, dtype=like.dtype)


def rand(shape, generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    """Uniform noise on [0, 1) of ``shape``, drawn and returned as :func:`randn` does."""
    u = torch.rand(shape, generator=generator, device=generator.device, dtype=_noise_dtype(like))
    return u.to(device=like.device, dtype=like.dtype)


# --- batches --------------------------------------------------------------------------------------

def n_batches(data, batch_size: int) -> int:
    """Batches per epoch: ``ceil(N / batch_size)`` for a tensor, ``len(loader)`` for a DataLoader."""
    if isinstance(data, LoaderData):
        return len(data)
    return math.ceil(data.shape[0] / batch_size)


def batches(data, batch_size: int, generator: torch.Generator | None = None, *,
            shuffle: bool = True) -> Iterator[torch.Tensor]:
    """One epoch of (b, D) mini-batches.

    A tensor is cut into batches of ``batch_size`` rows (the last one may be smaller), in a random order
    drawn from ``generator`` when ``shuffle``; a :class:`LoaderData` yields its loader's batches in the
    loader's own order (``batch_size`` and ``generator`` are then unused).
    """
    if isinstance(data, LoaderData):
        yield from data
        return
    n = data.shape[0]
    if shuffle:
        order = torch.randperm(n, generator=generator, device=generator.device).to(data.device)  # (N,)
    else:
        order = torch.arange(n, device=data.device)  # (N,)
    for start in range(0, n, batch_size):
        yield data[order[start:start + batch_size]]  # (b, D)


def stream(data, batch_size: int, generator: torch.Generator, model: nn.Module, *, name: str = "data",
           last_dim: int | None = None) -> Callable[[], torch.Tensor]:
    """An endless supply of real batches for step-based trainers: ``draw()`` returns the next (b, D) batch.

    Parameters
    ----------
    data : callable, array, tensor or DataLoader
        ``sample_real(n)``, called with ``n = batch_size`` and checked each time (its own randomness);
        an (N, D) array or tensor, from whose rows each batch is drawn uniformly *with replacement* using
        ``generator``; or a DataLoader, cycled through epoch after epoch (its batch size wins).
    batch_size : int
    generator : torch.Generator
    model : nn.Module
        Whose dtype and device the batches take.
    name, last_dim
        As in :func:`as_model_tensor`.
    """
    if callable(data) and not isinstance(data, (torch.Tensor, torch.utils.data.DataLoader)):
        def draw_callable():
            x = as_model_tensor(data(batch_size), model, f"{name}(n)", last_dim=last_dim)
            if x.shape[0] != batch_size:
                raise ValueError(f"{name}(n) must return n = {batch_size} rows (got {x.shape[0]})")
            return x
        return draw_callable
    data = prepare_data(data, model, name, last_dim=last_dim)
    if isinstance(data, LoaderData):
        if len(data) == 0:
            raise ValueError(f"{name} is a DataLoader without batches")
        endless = (x for _ in itertools.count() for x in data)  # epoch after epoch
        return lambda: next(endless)

    def draw_rows():
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator, device=generator.device)
        return data[idx.to(data.device)]  # (batch_size, D)
    return draw_rows


# --- schedules, modes, bookkeeping ----------------------------------------------------------------

def scheduled_lr(schedule: str, base_lr: float, done: int, total: int) -> float:
    r"""The learning rate after ``done`` of ``total`` optimiser steps.

    ``"constant"`` keeps ``base_lr``; ``"cosine"`` anneals it to 0 at the last step (Loshchilov & Hutter,
    2017, without restarts): :math:`\eta_t = \tfrac12 \eta_0 (1 + \cos(\pi t / T))`.

    Examples
    --------
    >>> scheduled_lr("cosine", 1.0, 5, 10)
    0.5
    """
    check_choice(schedule, "schedule", LR_SCHEDULES)
    if schedule == "constant":
        return base_lr
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * done / total))


def set_lr(optimizers, lr: float) -> None:
    """Set the learning rate of every parameter group of every optimiser in ``optimizers``."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = lr


@contextlib.contextmanager
def eval_mode(*models: nn.Module):
    """Put ``models`` in eval mode inside a ``with`` block and restore each one's previous mode after.

    Examples
    --------
    >>> net = nn.Dropout(0.5)
    >>> with eval_mode(net):
    ...     assert not net.training
    >>> net.training
    True
    """
    before = [m.training for m in models]
    for m in models:
        m.eval()
    try:
        yield
    finally:
        for m, was_training in zip(models, before):
            m.train(was_training)


# --- the epoch loop shared by the likelihood-based trainers ---------------------------------------

@torch.no_grad()
def evaluate(model: nn.Module, data, batch_size: int, loss_terms, prefix: str = "val_") -> dict[str, float]:
    """Per-sample averages of ``loss_terms(x)`` over ``data`` in eval mode, without gradients.

    ``loss_terms(x)`` maps a batch (b, D) to a dict of per-sample tensors (b,), e.g. ``{"loss": ...}``;
    the result is keyed ``prefix + name``.
    """
    means = RunningMeans()
    with eval_mode(model):
        for x in batches(data, batch_size, shuffle=False):
            means.add(**loss_terms(x))
    return means.means(prefix)


def fit_epochs(model: nn.Module, data, loss_terms, history: TrainingHistory, *, optimizer, epochs: int,
               batch_size: int, lr: float, schedule: str, generator: torch.Generator, validation=None,
               max_grad_norm: float | None = None, log_lr: bool = False, progress: bool = True,
               desc: str = "training", hint: str = "lower lr") -> TrainingHistory:
    """Minimise the batch mean of ``loss_terms(x)["loss"]`` for ``epochs`` shuffled passes over ``data``.

    Parameters
    ----------
    model : nn.Module
        Trained in place (train mode inside the loop, eval mode at the end).
    data, validation : tensor or :class:`LoaderData`
        From :func:`prepare_data`; ``validation`` is scored with :func:`evaluate` after every epoch.
    loss_terms : callable
        Maps a batch (b, D) to a dict of per-sample tensors (b,) in nats: ``"loss"`` (minimised) and any
        extras. It should draw its noise from ``generator``, which also shuffles the data.
    history : TrainingHistory
        Gets one row per epoch: ``epoch``, the epoch means of the terms, their ``val_`` versions, ``lr``
        (at the start of the epoch, when ``log_lr``) and ``seconds``. Returned.
    optimizer, epochs, batch_size
    lr, schedule
        The base learning rate and its schedule (:func:`scheduled_lr`), applied after every step.
    max_grad_norm : float, optional
        Clip the gradients' total norm before each step.
    progress, desc, hint
        The progress bar, its label, and what the divergence error suggests.
    """
    total, done = epochs * n_batches(data, batch_size), 0
    bar = _progress(range(epochs), total=epochs, desc=desc, enabled=progress)
    for epoch in bar:
        model.train()
        means = RunningMeans()
        epoch_lr = optimizer.param_groups[0]["lr"]
        for x in batches(data, batch_size, generator, shuffle=True):
            terms = loss_terms(x)  # dict of (b,) tensors
            optimizer.zero_grad()
            terms["loss"].mean().backward()  # averaged over the batch
            if max_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            done += 1
            set_lr([optimizer], scheduled_lr(schedule, lr, done, total))
            means.add(**terms)
        row = means.means()
        check_finite_loss(row["loss"], f"epoch {epoch + 1}", hint)
        if validation is not None:
            row.update(evaluate(model, validation, batch_size, loss_terms))
        history.log(epoch=epoch + 1, **row, **({"lr": epoch_lr} if log_lr else {}))
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{row['loss']:.3f}")
    model.eval()
    return history
