"""The history every trainer returns (:class:`TrainingHistory`) and the per-sample running means behind it.

Part of the training core; import these names from :mod:`course_utils._training`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import torch

__all__ = ["TrainingHistory", "RunningMeans", "check_finite_loss"]


class RunningMeans:
    """Per-sample averages over mini-batches: ``add(loss=per_sample_tensor, ...)``, then :meth:`means`."""

    def __init__(self):
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, **per_sample: torch.Tensor) -> None:
        """Add tensors of shape (b,), one value per sample (all of the same batch)."""
        for key, values in per_sample.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(values.detach().sum())
        self.count += next(iter(per_sample.values())).shape[0]

    def means(self, prefix: str = "") -> dict[str, float]:
        """The averages so far, keyed ``prefix + name``."""
        return {prefix + key: total / self.count for key, total in self.sums.items()}


def check_finite_loss(value: float, where: str, hint: str = "lower lr") -> None:
    """Raise ``ValueError("training diverged at <where> (loss <value>); <hint>")`` for NaN or inf."""
    if not math.isfinite(value):
        raise ValueError(f"training diverged at {where} (loss {value}); {hint}")


class TrainingHistory(Mapping):
    """What a trainer returns: a read-only mapping from column name to a list, one entry per epoch or step.

    ``history["loss"]`` and ``history.loss`` are the same list; ``list(history)`` gives the column names in
    the order they were logged; ``dict(history)`` or :meth:`as_dict` a plain dict of lists (for
    ``pandas.DataFrame``). Every trainer logs ``loss`` (the per-sample objective it minimises, in nats),
    ``val_loss`` when validation data were given, an index column (``epoch`` or ``step``), ``seconds``
    since the start, and extras under their own names (see each trainer). Validation columns exist only
    when validation data were given.

    Examples
    --------
    >>> h = TrainingHistory()
    >>> h.log(epoch=1, loss=2.5)
    >>> h.loss, list(h)
    ([2.5], ['epoch', 'loss', 'seconds'])
    """

    def __init__(self):
        self._columns: dict[str, list] = {}
        self._start = time.perf_counter()

    def __getitem__(self, key: str) -> list:
        try:
            return self._columns[key]
        except KeyError:
            raise KeyError(f"{type(self).__name__} has no column {key!r} "
                           f"(columns: {', '.join(self._columns) or 'none yet'})") from None

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no column {name!r} "
                                 f"(columns: {', '.join(self._columns) or 'none yet'})") from None

    def __iter__(self):
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        rows = {k: len(v) for k, v in self._columns.items()}
        return f"{type(self).__name__}({', '.join(f'{k}: {n}' for k, n in rows.items())})"

    def log(self, **values) -> None:
        """Append one row: each value to its column (made on first use), then ``seconds`` since the start."""
        for key, value in values.items():
            self._columns.setdefault(key, []).append(value)
        self._columns.setdefault("seconds", []).append(time.perf_counter() - self._start)

    def append(self, name: str, value) -> None:
        """Append ``value`` to one column only (for columns on their own schedule, e.g. sample snapshots)."""
        self._columns.setdefault(name, []).append(value)

    def as_dict(self) -> dict[str, list]:
        """A plain ``dict`` of copies of the columns."""
        return {key: list(values) for key, values in self._columns.items()}
