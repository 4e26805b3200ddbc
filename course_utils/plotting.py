"""Plot helpers shared by the notebooks. Each takes ``ax=None``, draws, and returns the axes.

None of them calls ``plt.show()``: the notebook shows the figure. Two helpers compute instead of
drawing: :func:`moving_average` (to smooth noisy per-step curves) and :func:`density_grid` (a model's
density on a grid of 2-D points, as NumPy arrays ready for ``contourf``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._plot_training import _to_numpy, gan_dynamics, gan_snapshots, moving_average
from ._validation import as_float_array, check_positive_int

__all__ = ["scatter_labels", "density_contours", "density_grid", "gaussian_ellipse", "heatmap",
           "sample_grid", "training_curves", "moving_average", "gan_dynamics", "gan_snapshots", "new_axes"]


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


def training_curves(history: Mapping, *, ax=None, keys=None, title=None, xlabel="epoch", ylabel=None,
                    logy: bool = False):
    """Plot named per-step series as lines, one per key, against 1, 2, ...

    Parameters
    ----------
    history : Mapping of str to sequence of float
        A plain dict such as ``{"train": [...], "validation": [...]}`` or a trainer's history (any
        ``collections.abc.Mapping`` from column name to a list of numbers).
    keys : list of str, optional
        The columns to draw; default all of them.
    logy : bool
        Log scale on the y axis.

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    gan_dynamics : the losses and accuracies of a GAN history, smoothed.

    Examples
    --------
    >>> ax = training_curves({"train": [3.0, 2.0, 1.5], "validation": [3.2, 2.4, 2.1]}, ylabel="loss")
    >>> len(ax.lines)
    2
    """
    if not isinstance(history, Mapping):
        raise TypeError(f"history must be a mapping from names to sequences of numbers, such as a dict "
                        f"or a trainer's history (got {type(history).__name__})")
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


def heatmap(matrix, *, ax=None, row_labels=None, col_labels=None, title=None, xlabel=None, ylabel=None,
            fmt: str = ".2f", cmap: str = "Blues", colorbar: bool = True, vmin=None, vmax=None,
            colorbar_label: str | None = None):
    """Draw a matrix as a heat map with its value written in every cell.

    Cell ``(i, j)`` sits in row ``i`` (top to bottom) and column ``j``; text is white on dark cells
    and black on light ones.

    Parameters
    ----------
    matrix : array_like, shape (R, C)
        E.g. a transition matrix, an emission matrix or a confusion table.
    row_labels : list of str, optional
        R tick labels for the rows; default 0, 1, ...
    col_labels : list of str, optional
        C tick labels for the columns.
    fmt : str
        Format of the cell text, e.g. ``".2f"``, or ``"d"`` for counts (values rounded to integers).
    colorbar : bool
        Add a colour bar beside the axes.
    colorbar_label : str, optional
        What the colours mean (with units), written along the colour bar.
    vmin, vmax : float, optional
        Ends of the colour scale (e.g. 0 and 1 for probabilities); default the data range.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> A = np.array([[0.9, 0.1], [0.3, 0.7]])
    >>> ax = heatmap(A, row_labels=["dry", "wet"], col_labels=["dry", "wet"], vmin=0, vmax=1,
    ...              xlabel="tomorrow", ylabel="today", title="Transition matrix")
    >>> [t.get_text() for t in ax.texts]
    ['0.90', '0.10', '0.30', '0.70']
    """
    M = as_float_array(matrix, "matrix", ndim=2, finite=False)
    ax = new_axes(ax)
    image = ax.imshow(M, cmap=cmap, vmin=vmin, vmax=vmax)
    cm = image.get_cmap()
    for (i, j), value in np.ndenumerate(M):
        if not np.isfinite(value):
            continue
        r, g, b, _ = cm(image.norm(value))
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # perceived brightness of the cell colour
        text = format(int(round(value)) if fmt.endswith("d") else value, fmt)
        ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black")
    for labels, n, set_ticks, name in [(row_labels, M.shape[0], ax.set_yticks, "row_labels"),
                                       (col_labels, M.shape[1], ax.set_xticks, "col_labels")]:
        if labels is not None and len(labels) != n:
            raise ValueError(f"{name} must have {n} entries, one per {name[:3]} (got {len(labels)})")
        set_ticks(range(n), [str(v) for v in labels] if labels is not None else range(n))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    return _finish(ax, title, xlabel, ylabel)


def _torch_module(fn):
    """The ``nn.Module`` behind ``fn`` (the module itself or a bound method of it), or None."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return None
    owner = fn if isinstance(fn, torch.nn.Module) else getattr(fn, "__self__", None)
    return owner if isinstance(owner, torch.nn.Module) else None


def density_grid(log_prob, xlim, ylim, n_grid: int = 150, *, device=None, batch_size: int = 65536):
    r"""Evaluate a 2-D density on a regular grid and return it as NumPy arrays.

    Parameters
    ----------
    log_prob : callable
        Maps points of shape (m, 2) to log-densities of shape (m,). A torch model or one of its
        methods (e.g. ``flow.log_prob``) gets torch tensors in the model's dtype on its device; it is
        run under ``torch.no_grad()`` in eval mode (its mode is restored afterwards). With ``device``
        given, any callable gets torch tensors (default dtype) on that device. Otherwise it gets
        float64 NumPy arrays (e.g. ``gmm.score_samples``). Tensors or arrays may come back.
    xlim, ylim : (float, float)
        Ranges of the two coordinates.
    n_grid : int
        Points per axis; the grid has ``n_grid ** 2`` points.
    device : str or torch.device, optional
        Where to evaluate a torch callable; default the model's device.
    batch_size : int
        Points per call, to bound memory.

    Returns
    -------
    xx, yy : ndarray, shape (n_grid, n_grid)
        Grid coordinates (``np.meshgrid(xs, ys)``, so rows follow y and columns follow x).
    density : ndarray, shape (n_grid, n_grid)
        :math:`p(x) = \exp(\log p(x))` at each grid point, float64.

    See Also
    --------
    density_contours : draws the contours of such a density directly.

    Examples
    --------
    >>> xx, yy, p = density_grid(lambda x: -0.5 * (x ** 2).sum(1) - np.log(2 * np.pi), (-6, 6), (-6, 6))
    >>> round(float(p.sum() * (xx[0, 1] - xx[0, 0]) * (yy[1, 0] - yy[0, 0])), 3)  # integrates to 1
    1.0
    """
    n_grid = check_positive_int(n_grid, "n_grid", minimum=2)
    batch_size = check_positive_int(batch_size, "batch_size")
    xs = np.linspace(*xlim, n_grid)  # (n_grid,)
    ys = np.linspace(*ylim, n_grid)  # (n_grid,)
    xx, yy = np.meshgrid(xs, ys)  # (n_grid, n_grid) each
    grid = np.column_stack([xx.ravel(), yy.ravel()])  # (n_grid**2, 2)
    module = _torch_module(log_prob)
    chunks = [grid[i: i + batch_size] for i in range(0, len(grid), batch_size)]
    if module is None and device is None:
        values = [np.asarray(_to_numpy(log_prob(chunk))) for chunk in chunks]
    else:
        values = _torch_log_prob(log_prob, module, chunks, device)
    log_density = np.concatenate([np.asarray(v, dtype=float).reshape(-1) for v in values])  # (n_grid**2,)
    if log_density.shape != (len(grid),):
        raise ValueError(f"log_prob must return one value per point, shape (m,) (got {log_density.size} "
                         f"values for {len(grid)} points)")
    return xx, yy, np.exp(log_density).reshape(xx.shape)


def _torch_log_prob(log_prob, module, chunks, device):
    import torch

    param = next(iter(module.parameters()), None) if module is not None else None
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    if device is None:
        device = param.device if param is not None else "cpu"
    was_training = module.training if module is not None else False
    if module is not None:
        module.eval()
    try:
        with torch.no_grad():
            return [_to_numpy(log_prob(torch.as_tensor(chunk, dtype=dtype, device=device)))
                    for chunk in chunks]
    finally:
        if module is not None:
            module.train(was_training)
