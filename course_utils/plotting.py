"""Plot helpers shared by the notebooks. Each takes ``ax=None``, draws, and returns the axes.

None of them calls ``plt.show()``: the notebook shows the figure.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scatter_labels", "density_contours", "gaussian_ellipse", "sample_grid", "training_curves",
           "new_axes"]


def new_axes(ax=None, figsize=(5, 4)):
    """Return ``ax``, or a fresh axes of the given size when ``ax`` is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _finish(ax, title, xlabel, ylabel):
    if title is not None:
        ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    return ax


def scatter_labels(X, labels=None, *, ax=None, names=None, title=None, xlabel=None, ylabel=None,
                   s: float = 12, alpha: float = 0.8, legend: bool = True):
    """Scatter the first two columns of ``X``, one colour per label.

    Parameters
    ----------
    X : array_like, shape (n, 2) or more (only the first two columns are drawn)
    labels : array_like of int, shape (n,), optional
    names : list of str, optional
        Legend names for the label values 0, 1, ...
    """
    ax = new_axes(ax)
    X = np.asarray(X)
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha, color="tab:blue")
    else:
        labels = np.asarray(labels)
        for k in np.unique(labels):
            mask = labels == k
            name = names[k] if names is not None else str(k)
            ax.scatter(X[mask, 0], X[mask, 1], s=s, alpha=alpha, label=name)
        if legend:
            ax.legend(fontsize="small", markerscale=1.5, frameon=False)
    return _finish(ax, title, xlabel, ylabel)


def density_contours(log_density, xlim, ylim, *, ax=None, n_grid: int = 150, levels: int = 12,
                     filled: bool = True, cmap: str = "viridis", title=None, xlabel=None, ylabel=None):
    """Contours of a 2-D density given as a function ``log_density(points (m, 2)) -> (m,)``.

    The density (not its log) is drawn, so the picture shows where the probability mass is.
    """
    ax = new_axes(ax)
    xs = np.linspace(*xlim, n_grid)
    ys = np.linspace(*ylim, n_grid)
    XX, YY = np.meshgrid(xs, ys)  # (n_grid, n_grid) each
    grid = np.column_stack([XX.ravel(), YY.ravel()])  # (n_grid**2, 2)
    Z = np.exp(np.asarray(log_density(grid), dtype=float)).reshape(XX.shape)
    (ax.contourf if filled else ax.contour)(XX, YY, Z, levels=levels, cmap=cmap)
    return _finish(ax, title, xlabel, ylabel)


def gaussian_ellipse(mean, cov, *, ax=None, n_std: float = 2.0, **kwargs):
    """Draw the ``n_std``-standard-deviation ellipse of a 2-D Gaussian (axes from the eigenvectors)."""
    from matplotlib.patches import Ellipse

    ax = new_axes(ax)
    vals, vecs = np.linalg.eigh(np.asarray(cov, dtype=float))  # ascending eigenvalues
    angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
    width, height = 2 * n_std * np.sqrt(np.maximum(vals[::-1], 0))
    kwargs.setdefault("fill", False)
    kwargs.setdefault("lw", 2)
    ax.add_patch(Ellipse(xy=np.asarray(mean, dtype=float)[:2], width=width, height=height, angle=angle,
                         **kwargs))
    return ax


def sample_grid(images, *, n_cols: int = 10, image_shape=(8, 8), ax=None, title=None, cmap="gray_r",
                vmin=None, vmax=None):
    """Show flattened images as a grid (for 8x8 digits by default).

    Parameters
    ----------
    images : array_like or tensor, shape (n, H*W) or (n, H, W)
    """
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    images = np.asarray(images, dtype=float).reshape(-1, *image_shape)  # (n, H, W)
    n = images.shape[0]
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    H, W = image_shape
    canvas = np.full((n_rows * (H + 1) - 1, n_cols * (W + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, n_cols)
        canvas[r * (H + 1): r * (H + 1) + H, c * (W + 1): c * (W + 1) + W] = img
    ax = new_axes(ax, figsize=(0.6 * n_cols + 1, 0.6 * n_rows + 0.6))
    ax.imshow(canvas, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    return _finish(ax, title, None, None)


def training_curves(history: dict, *, ax=None, keys=None, title=None, xlabel="epoch", ylabel=None,
                    logy: bool = False):
    """Plot named per-step series, e.g. ``{"train": [...], "validation": [...]}``, as lines."""
    ax = new_axes(ax)
    keys = list(history) if keys is None else list(keys)
    for key in keys:
        values = np.asarray(history[key], dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, label=key)
    if logy:
        ax.set_yscale("log")
    if len(keys) > 1:
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return _finish(ax, title, xlabel, ylabel)
