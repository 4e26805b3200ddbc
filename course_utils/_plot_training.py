"""Plots of training runs: the moving average that smooths per-step curves, and a GAN's dynamics and
sample snapshots. Re-exported by :mod:`course_utils.plotting`; use them as ``cu.plotting.<name>``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validation import as_float_array, check_positive_int

__all__ = ["moving_average", "gan_dynamics", "gan_snapshots"]


def _label(ax, title, xlabel, ylabel):
    ax.set(**{k: v for k, v in dict(title=title, xlabel=xlabel, ylabel=ylabel).items() if v is not None})
    return ax


def moving_average(values, window: int) -> np.ndarray:
    r"""Trailing moving average: entry ``t`` is the mean of ``values[max(0, t - window + 1) : t + 1]``.

    The output has the length of the input; the first ``window - 1`` entries average fewer values
    (all that exist so far), so the smoothed curve starts where the raw one does.

    Parameters
    ----------
    values : array_like, shape (n,)
    window : int
        Number of values averaged, at least 1 (1 returns a float copy of ``values``).

    Returns
    -------
    ndarray, shape (n,)

    Notes
    -----
    .. math:: \bar v_t = \frac{1}{t - s + 1} \sum_{u=s}^{t} v_u, \qquad s = \max(0, t - w + 1)

    Examples
    --------
    >>> moving_average([1.0, 3.0, 5.0, 7.0], 2)
    array([1., 2., 4., 6.])
    """
    values = as_float_array(values, "values", ndim=1, finite=False)
    window = check_positive_int(window, "window")
    csum = np.concatenate([[0.0], np.cumsum(values)])  # (n + 1,)
    end = np.arange(1, len(values) + 1)  # (n,) one past each window's last index
    start = np.maximum(end - window, 0)  # (n,)
    return (csum[end] - csum[start]) / (end - start)


def _to_numpy(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else value


def _history_column(history, key):
    if key not in history:
        raise KeyError(f"history has no column {key!r}; a GAN history needs 'loss' (the generator's), "
                       f"'d_loss', 'd_real_accuracy', 'd_fake_accuracy' (got {list(history)})")
    return np.asarray(history[key], dtype=float)


def gan_dynamics(history: Mapping, *, ax=None, window: int = 25, title=None):
    r"""Plot a GAN's losses and the discriminator's accuracies per step, smoothed.

    Parameters
    ----------
    history : Mapping
        A GAN training history with the columns ``loss`` (the generator's loss), ``d_loss``,
        ``d_real_accuracy``, ``d_fake_accuracy`` and optionally ``step`` (the x axis; default 1, 2, ...).
    ax : Axes or pair of Axes, optional
        Two axes: the losses go in the first, the accuracies in the second. One axes: both, the
        accuracies on a second y axis at the right. None: a new figure with two panels.
    window : int
        Steps in the trailing :func:`moving_average`.
    title : str, optional
        Prefix of the panel titles.

    Returns
    -------
    Axes or ndarray of two Axes
        What was drawn on: ``ax`` itself when one axes was given, else the pair (losses, accuracies).

    Notes
    -----
    Dotted guides: the discriminator's cross-entropy when it guesses, :math:`D = 1/2` everywhere,
    is :math:`2 \log 2` (it does not apply to a Wasserstein critic), and accuracies of 0.5.

    See Also
    --------
    gan_snapshots : the generator's samples over training.
    moving_average : the smoothing.

    Examples
    --------
    >>> history = {"step": [1, 2, 3], "loss": [0.8, 0.7, 0.7], "d_loss": [1.3, 1.4, 1.39],
    ...            "d_real_accuracy": [0.6, 0.5, 0.5], "d_fake_accuracy": [0.7, 0.5, 0.4]}
    >>> loss_ax, acc_ax = gan_dynamics(history, window=2)
    >>> [line.get_label() for line in acc_ax.lines[:2]]
    ['on real samples', 'on fakes']
    """
    import matplotlib.pyplot as plt

    curves = {key: moving_average(_history_column(history, key), window)
              for key in ("loss", "d_loss", "d_real_accuracy", "d_fake_accuracy")}
    n = len(curves["loss"])
    steps = np.asarray(history["step"], dtype=float) if "step" in history else np.arange(1, n + 1)
    single = ax is not None and not isinstance(ax, (list, tuple, np.ndarray))
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(11, 3.6))
    loss_ax, acc_ax = (ax, ax.twinx()) if single else (ax[0], ax[1])
    prefix = f"{title}: " if title else ""
    loss_ax.plot(steps, curves["d_loss"], label="D loss")
    loss_ax.plot(steps, curves["loss"], label="G loss")
    loss_ax.axhline(2 * np.log(2), color="grey", ls=":", lw=1, label="2 log 2 (D guessing)")
    acc_colors = ("tab:green", "tab:red") if single else (None, None)
    acc_ax.plot(steps, curves["d_real_accuracy"], color=acc_colors[0], label="on real samples")
    acc_ax.plot(steps, curves["d_fake_accuracy"], color=acc_colors[1], label="on fakes")
    acc_ax.axhline(0.5, color="grey", ls="--" if single else ":", lw=1)
    acc_ax.set(ylim=(0, 1.05), ylabel="D's accuracy (fraction correct)")
    _label(loss_ax, f"{prefix}losses and D's accuracy (moving average of {window})" if single else
            f"{prefix}losses (moving average of {window})", "generator step", "loss (nats)")
    loss_ax.grid(alpha=0.3)
    loss_ax.legend(frameon=False, fontsize="small", loc="upper left" if single else "best")
    if single:
        acc_ax.legend(frameon=False, fontsize="small", loc="upper right")
        return loss_ax
    _label(acc_ax, f"{prefix}D's accuracy (moving average of {window})", "generator step", None)
    acc_ax.grid(alpha=0.3)
    acc_ax.legend(frameon=False, fontsize="small")
    return np.array([loss_ax, acc_ax], dtype=object)


def gan_snapshots(history: Mapping, *, real=None, centers=None, axes=None, max_panels: int = 4):
    """Scatter the generator's sample snapshots of a GAN history, one panel per snapshot.

    Panels are spread evenly over the snapshots, always showing the first and the last, and are
    titled with their step.

    Parameters
    ----------
    history : Mapping
        A GAN history with ``samples`` (list of (n, 2) tensors or arrays) and ``sample_steps``.
    real : array_like or tensor, shape (m, 2), optional
        Real data, drawn in light grey behind the samples.
    centers : array_like, shape (K, 2), optional
        Mode centres (e.g. of the ring), drawn as black crosses.
    axes : sequence of Axes, optional
        Where to draw, one snapshot per axes; default a new row of ``min(max_panels, #snapshots)``.
    max_panels : int
        Largest number of panels when ``axes`` is None.

    Returns
    -------
    ndarray of Axes

    See Also
    --------
    gan_dynamics : the losses and accuracies over the same training.

    Examples
    --------
    >>> history = {"sample_steps": [10, 20], "samples": [np.zeros((5, 2)), np.ones((5, 2))]}
    >>> [ax.get_title() for ax in gan_snapshots(history)]
    ['step 10', 'step 20']
    """
    import matplotlib.pyplot as plt

    samples = [np.asarray(_to_numpy(s), dtype=float) for s in history["samples"]]
    steps = list(history["sample_steps"])
    if not samples or len(samples) != len(steps):
        raise ValueError(f"history must hold as many samples as sample_steps, at least one "
                         f"(got {len(samples)} and {len(steps)})")
    if axes is None:
        n_panels = min(check_positive_int(max_panels, "max_panels"), len(samples))
        _, axes = plt.subplots(1, n_panels, figsize=(3.2 * n_panels, 3.3), sharex=True, sharey=True,
                               squeeze=False)
    axes = np.asarray(axes, dtype=object).ravel()
    picks = np.unique(np.linspace(0, len(samples) - 1, len(axes)).round().astype(int))
    real = None if real is None else np.asarray(_to_numpy(real), dtype=float)
    for ax, i in zip(axes, picks):
        if real is not None:
            ax.scatter(real[:, 0], real[:, 1], s=3, color="lightgrey", label="data")
        ax.scatter(samples[i][:, 0], samples[i][:, 1], s=3, alpha=0.4, color="tab:red", label="G samples")
        if centers is not None:
            c = np.asarray(_to_numpy(centers), dtype=float)
            ax.scatter(c[:, 0], c[:, 1], marker="x", s=40, color="black", label="modes")
        ax.set_aspect("equal")
        _label(ax, f"step {steps[i]}", "$x_1$", "$x_2$" if ax is axes[0] else None)
    return axes[: len(picks)]
