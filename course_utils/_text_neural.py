r"""The neural character model of :mod:`course_utils.text`: :class:`CharMLP` and :func:`train_char_model`.

An MLP over a window of the previous characters (Bengio et al. 2003, on characters): each of the last
``context`` characters is embedded, the embeddings are concatenated and passed through one hidden layer;
the output is a logit per character of the vocabulary. The first characters of a text see a window padded
on the left with a padding id (``V``) that is never predicted. Import these names from
:mod:`course_utils.text`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import _training as tr
from ._validation import check_choice, check_positive_float, check_positive_int
from .runtime import progress as _progress

__all__ = ["CharMLP", "CharHistory", "train_char_model"]


class CharMLP(nn.Module):
    """A character model: P(next character | the ``context`` characters before it) by an MLP.

    Parameters
    ----------
    vocab : course_utils.text.Vocabulary
        V characters; the model predicts one of them and reads ``V + 1`` ids (the last one pads).
    context : int
        How many previous characters the model sees.
    embed_dim, hidden_dim : int
        Size of each character's embedding and of the hidden layer.
    seed : int, torch.Generator or None
        Draws the initial weights (the same int gives the same network; torch's global generator is
        not used): embeddings N(0, 1), linear layers U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as torch does.

    Examples
    --------
    >>> from course_utils.text import Vocabulary
    >>> net = CharMLP(Vocabulary("abc"), context=4, seed=0)
    >>> net(torch.zeros(2, 4, dtype=torch.long)).shape  # logits (B, V)
    torch.Size([2, 3])
    """

    def __init__(self, vocab, context: int = 8, embed_dim: int = 24, hidden_dim: int = 256, *, seed=None):
        super().__init__()
        from .text import Vocabulary  # here: course_utils.text imports this module

        if not isinstance(vocab, Vocabulary):
            raise TypeError(f"vocab must be a course_utils.text.Vocabulary (got {type(vocab).__name__})")
        self.vocab = vocab
        self.context = check_positive_int(context, "context")
        V = len(vocab)
        self.embed = nn.Embedding(V + 1, check_positive_int(embed_dim, "embed_dim"))  # id V pads
        self.hidden = nn.Linear(self.context * embed_dim, check_positive_int(hidden_dim, "hidden_dim"))
        self.out = nn.Linear(hidden_dim, V)
        g = tr.make_generator(seed)
        with torch.no_grad():
            self.embed.weight.copy_(torch.randn(self.embed.weight.shape, generator=g))
            for layer in (self.hidden, self.out):
                bound = 1.0 / math.sqrt(layer.in_features)
                for p in (layer.weight, layer.bias):
                    p.copy_((2 * torch.rand(p.shape, generator=g) - 1) * bound)

    @property
    def context_size(self) -> int:
        """How many previous characters a prediction reads: ``context``."""
        return self.context

    def forward(self, ctx):
        """Logits of the next character: ctx (B, context) of ids in 0 .. V -> (B, V)."""
        e = self.embed(ctx)  # (B, context, embed_dim)
        h = torch.tanh(self.hidden(e.flatten(1)))  # (B, hidden_dim)
        return self.out(h)  # (B, V)

    def _windows(self, ids: np.ndarray) -> torch.Tensor:
        """Every position's window of the ``context`` ids before it, padded on the left: (N, context)."""
        device = self.out.weight.device
        padded = torch.cat([torch.full((self.context,), len(self.vocab), dtype=torch.long),
                            torch.as_tensor(ids, dtype=torch.long)]).to(device)  # (N + context,)
        return padded.unfold(0, self.context, 1)[:len(ids)]  # (N, context)

    @torch.no_grad()
    def log_prob_chars(self, text, *, batch_size: int = 8192) -> np.ndarray:
        """log P(c_i | the ``context`` characters before it) of every character: shape (len(text),), nats."""
        from .text import _as_ids

        ids = _as_ids(text, self.vocab, "text")
        windows = self._windows(ids)  # (N, context)
        targets = torch.as_tensor(ids, device=windows.device)  # (N,)
        out = []
        with tr.eval_mode(self):
            for start in range(0, len(ids), batch_size):
                logits = self(windows[start:start + batch_size])  # (b, V)
                lp = F.log_softmax(logits.double(), dim=-1)  # (b, V)
                out.append(lp.gather(1, targets[start:start + batch_size, None])[:, 0])  # (b,)
        return torch.cat(out).cpu().numpy()

    @torch.no_grad()
    def next_log_probs(self, prefix: str = "") -> np.ndarray:
        """log P(next character = c | prefix) for every c of the vocabulary: shape (V,), in nats."""
        ids = self.vocab.encode(prefix)[-self.context:] if prefix else np.zeros(0, dtype=np.int64)
        window = self._windows(np.r_[ids, 0])[-1:]  # (1, context): the window of the slot after the prefix
        with tr.eval_mode(self):
            return F.log_softmax(self(window).double(), dim=-1)[0].cpu().numpy()  # (V,)

    def sample(self, n: int, *, prefix: str = "", temperature: float = 1.0, rng=None) -> str:
        """``n`` characters drawn after ``prefix``; see :func:`course_utils.text.sample_text`."""
        from .text import sample_text

        return sample_text(self, n, prefix=prefix, temperature=temperature, rng=rng)


class CharHistory(tr.TrainingHistory):
    """What :func:`train_char_model` records, one row every ``log_every`` steps (a ``TrainingHistory``).

    ``step``; ``loss``: the mean cross-entropy per character (nats) over the mini-batches since the last
    row; ``val_loss``: the same on all of ``validation`` at that step (only with validation text; divide
    by ln 2 for bits per character); ``lr`` at that step; ``seconds``.
    """


def train_char_model(model: CharMLP, text, *, steps: int = 3000, batch_size: int = 256, lr: float = 1e-2,
                     schedule: str = "cosine", validation=None, log_every: int | None = None, device=None,
                     progress: bool = True, seed=None) -> CharHistory:
    """Fit a :class:`CharMLP` by minimising the cross-entropy of the next character (maximum likelihood).

    Each step draws ``batch_size`` positions of ``text`` uniformly with replacement, predicts each
    position's character from its window, and takes an Adam step on the batch mean.

    Parameters
    ----------
    model : CharMLP
        Trained in place; left in eval mode.
    text : str or sequence of int
        Training text (or its ids in the model's vocabulary).
    steps, batch_size : int
        Optimiser steps and positions per step.
    lr : float
        Initial Adam learning rate.
    schedule : {"cosine", "constant"}
        Learning-rate schedule over the run.
    validation : str or sequence of int, optional
        Held-out text, scored in full at every logged step.
    log_every : int, optional
        Steps per history row (default: ``steps // 20``, at least 1).
    device : str or torch.device, optional
        ``None`` trains where the model's parameters are; otherwise the model is moved there.
    progress : bool
        Show a progress bar.
    seed : int, torch.Generator or None
        Draws the positions of every batch; the same seed and initial weights give the same numbers on
        the CPU. ``None``: unpredictable.

    Returns
    -------
    CharHistory
        ``step``, ``loss`` (and ``val_loss``) in nats per character, ``lr``, ``seconds``.

    Raises
    ------
    ValueError
        For non-positive ``steps``/``batch_size``/``lr``, text shorter than 2 characters or outside
        the vocabulary, or a diverged run.

    Examples
    --------
    >>> from course_utils.text import Vocabulary
    >>> net = CharMLP(Vocabulary("ab"), context=2, hidden_dim=8, seed=0)
    >>> history = train_char_model(net, "abab" * 20, steps=20, progress=False, seed=0)
    >>> list(history)
    ['step', 'loss', 'lr', 'seconds']
    """
    from .text import _as_ids

    if not isinstance(model, CharMLP):
        raise TypeError(f"model must be a course_utils.text.CharMLP (got {type(model).__name__})")
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    check_choice(schedule, "schedule", tr.LR_SCHEDULES)
    log_every = max(steps // 20, 1) if log_every is None else check_positive_int(log_every, "log_every")
    ids = _as_ids(text, model.vocab, "text")
    if len(ids) < 2:
        raise ValueError(f"text must hold at least 2 characters (got {len(ids)})")
    val_ids = None if validation is None else _as_ids(validation, model.vocab, "validation")
    device = tr.resolve_device(model, device)
    windows = model._windows(ids)  # (N, context)
    targets = torch.as_tensor(ids, device=device)  # (N,)
    g = tr.make_generator(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = CharHistory()
    running = tr.RunningMeans()
    model.train()
    for step in _progress(range(steps), total=steps, desc="train_char_model", enabled=progress):
        step_lr = optimizer.param_groups[0]["lr"]
        idx = torch.randint(0, len(ids), (batch_size,), generator=g).to(device)  # (b,)
        loss = F.cross_entropy(model(windows[idx]), targets[idx], reduction="none")  # (b,) nats
        optimizer.zero_grad()
        loss.mean().backward()
        optimizer.step()
        tr.set_lr([optimizer], tr.scheduled_lr(schedule, lr, step + 1, steps))
        running.add(loss=loss)
        if (step + 1) % log_every == 0 or step + 1 == steps:
            row = running.means()
            tr.check_finite_loss(row["loss"], f"step {step + 1}", "lower lr")
            if val_ids is not None:
                row["val_loss"] = float(-np.mean(model.log_prob_chars(val_ids)))
                model.train()
            history.log(step=step + 1, **row, lr=step_lr)
            running = tr.RunningMeans()
    model.eval()
    return history
