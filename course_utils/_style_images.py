"""Helpers of :mod:`course_utils.style`: image checks and conversions, drawn style images, the optimiser.

Images are (H, W, 3) floats in [0, 1] (NumPy arrays or tensors); the networks see (1, 3, H, W) tensors.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ._validation import check_choice, check_positive_float, check_positive_int

__all__ = ["image_to_tensor", "tensor_to_image", "draw_texture"]


def image_to_tensor(image, name: str = "image", *, device=None):
    """Check an (H, W, 3) image of floats in [0, 1] and return it as a float32 tensor (1, 3, H, W).

    Raises
    ------
    TypeError
        For integer (e.g. uint8) or non-numeric images: divide uint8 images by 255 first.
    ValueError
        For the wrong shape (a hint covers grey and channels-first images), values outside [0, 1],
        NaN or inf.
    """
    if isinstance(image, torch.Tensor):
        t = image.detach()
    else:
        arr = np.asarray(image)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{name} must be an array of floats in [0, 1] (got dtype {arr.dtype})")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if not t.is_floating_point():
        top = int(t.max()) if t.numel() else 0
        raise TypeError(f"{name} must hold floats in [0, 1] (got dtype {str(t.dtype).replace('torch.', '')} "
                        f"with values up to {top}); for a uint8 image use {name} / 255")
    if t.ndim != 3 or t.shape[-1] != 3:
        hint = ""
        if t.ndim == 2:
            hint = "; for a grey image repeat it: np.stack([img] * 3, axis=-1)"
        elif t.ndim == 3 and t.shape[0] == 3:
            hint = "; this looks channels-first: move the channels last with img.permute(1, 2, 0)"
        elif t.ndim == 3 and t.shape[-1] == 4:
            hint = f"; drop the alpha channel with {name}[..., :3]"
        raise ValueError(f"{name} must be an RGB image of shape (H, W, 3) (got shape {tuple(t.shape)}){hint}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must hold finite numbers (found NaN or inf)")
    lo, hi = float(t.min()), float(t.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        hint = f"; for 0..255 values use {name} / 255" if hi > 1.5 else "; clip it with np.clip(img, 0, 1)"
        raise ValueError(f"{name} must hold values in [0, 1] (got values from {lo:.4g} to {hi:.4g}){hint}")
    dev = t.device if device is None else torch.device(device)
    return t.to(device=dev, dtype=torch.float32).clamp(0, 1).permute(2, 0, 1)[None].contiguous()  # (1, 3, H, W)


def tensor_to_image(x) -> np.ndarray:
    """A (1, 3, H, W) or (3, H, W) tensor back to an (H, W, 3) float32 NumPy array in [0, 1]."""
    x = x.detach()
    if x.ndim == 4:
        x = x[0]
    return x.clamp(0, 1).permute(1, 2, 0).cpu().numpy()  # (H, W, 3)


def _check_size(x, extractor, name: str) -> None:
    """Raise ``ValueError`` when the image tensor x (1, 3, H, W) is smaller than ``extractor.min_size``."""
    H, W = x.shape[-2:]
    need = extractor.min_size
    if min(H, W) < need:
        raise ValueError(f"{name} is {H} x {W} pixels but the feature extractor ({extractor.n_scales} scales) "
                         f"needs at least {need} x {need}, its receptive field; use a larger image or fewer "
                         f"scales (RandomFeatures(n_scales={max(1, extractor.n_scales - 1)}))")


def draw_texture(kind: str = "stripes", size: int = 96, *, period: int = 12,
                 colors=((0.9, 0.2, 0.1), (0.1, 0.2, 0.8))) -> np.ndarray:
    """A procedurally drawn two-colour style image (no painting ships offline): (size, size, 3) float32.

    Parameters
    ----------
    kind : {"stripes", "checker"}
        Diagonal stripes, or a checkerboard.
    size : int
        Side in pixels.
    period : int
        Stripe period, or checker square side times two, in pixels.
    colors : pair of RGB triples in [0, 1]
        The two colours.

    Examples
    --------
    >>> draw_texture("checker", 8, period=4)[:2, :4, 0]
    array([[0.9, 0.9, 0.1, 0.1],
           [0.9, 0.9, 0.1, 0.1]], dtype=float32)
    """
    check_choice(kind, "kind", ("stripes", "checker"))
    size = check_positive_int(size, "size")
    period = check_positive_int(period, "period", minimum=2)
    colors = np.asarray(colors, dtype=np.float32)
    if colors.shape != (2, 3) or colors.min() < 0 or colors.max() > 1:
        raise ValueError(f"colors must be two RGB triples in [0, 1] (got {colors.tolist()})")
    yy, xx = np.mgrid[0:size, 0:size]  # (size, size) each
    if kind == "stripes":
        first = (xx + yy) % period < period / 2
    else:
        first = (xx // (period // 2) + yy // (period // 2)) % 2 == 0
    return np.where(first[..., None], colors[0], colors[1]).astype(np.float32)  # (size, size, 3)


def _pick(features: list, layers: list[int]) -> list:
    """The feature maps of the chosen scales."""
    return [features[i] for i in layers]


def _make_optimizer(kind: str, u, lr: float):
    """L-BFGS (one iteration per step, strong-Wolfe line search, no early stop) or Adam over the pixels u."""
    if kind == "lbfgs":
        return torch.optim.LBFGS([u], lr=lr, max_iter=1, history_size=20, line_search_fn="strong_wolfe",
                                 tolerance_grad=0.0, tolerance_change=0.0)
    return torch.optim.Adam([u], lr=lr)


def _check_layers(layers, name: str, n_scales: int) -> list[int]:
    layers = list(layers)  # the scale indices a loss uses
    if not layers or any(isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < n_scales
                         for i in layers):
        raise ValueError(f"{name} must be a non-empty list of scale indices in 0..{n_scales - 1} "
                         f"(got {layers})")
    return [int(i) for i in layers]


def _scale_first_step(opt, u, closure, lr: float) -> None:
    """Set a new L-BFGS's first step so that it moves u by at most 0.5 * lr.

    torch's L-BFGS starts with the step ``lr * gradient / |gradient|_1``, which is tiny for an image of
    many pixels, and the strong-Wolfe search only widens it tenfold per evaluation.
    """
    closure()
    grad = u.grad.abs()  # (1, 3, H, W)
    first = min(1.0, 1.0 / max(float(grad.sum()), 1e-30)) * max(float(grad.max()), 1e-30)
    opt.param_groups[0]["lr"] = 0.5 * lr / first


def _check_settings(steps, content_weight, style_weight, init, optimizer, lr):
    """transfer's settings, checked: (steps, content_weight, style_weight, lr), lr defaulting per optimizer."""
    steps = check_positive_int(steps, "steps")
    content_weight = check_positive_float(content_weight, "content_weight", allow_zero=True)
    style_weight = check_positive_float(style_weight, "style_weight", allow_zero=True)
    check_choice(init, "init", ("content", "noise"))
    check_choice(optimizer, "optimizer", ("lbfgs", "adam"))
    lr = check_positive_float(1.0 if optimizer == "lbfgs" and lr is None else 0.05 if lr is None else lr, "lr")
    return steps, content_weight, style_weight, lr
