"""Neural style transfer with Gram-matrix style losses, on a random-weight CNN that needs no download.

Gatys et al. (2016) re-render a photograph (the *content*) with the textures of another image (the
*style*) by optimising the pixels of a new image x so that

- its deep features at one layer match the content image's (content loss, an MSE), and
- the Gram matrices of its features at several layers match the style image's (style loss).

The Gram matrix throws away *where* a feature fires and keeps only *which features fire together*,
which is what a texture is. Gatys et al. use a VGG network trained on ImageNet; none ships offline, so
the features here come from :class:`RandomFeatures`, a small multi-scale CNN with fixed random filters.
Random filters carry a surprising amount of texture: Ustyuzhaninov et al. (2017) synthesise natural
textures with single-layer networks of random multi-scale filters, and He, Wang & Hopcroft (2016) invert
and re-style images with an untrained VGG. They capture colour and local statistics well and object-level
structure (faces, brush strokes that follow a shape) much less well than trained features.

Randomness (the filters, a noise start) comes from a ``seed`` argument, never from torch's global
generator. Images are (H, W, 3) floats in [0, 1], as NumPy arrays or tensors.

References: Gatys, Ecker & Bethge, "Image style transfer using convolutional neural networks", CVPR 2016;
Ustyuzhaninov, Brendel, Gatys & Bethge, "What does it take to generate natural textures?", ICLR 2017;
He, Wang & Hopcroft, "A powerful generative model using random weights for the deep image
representation", NeurIPS 2016.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import _style_images as _h
from . import _training as tr
from . import runtime
from ._history import TrainingHistory
from ._style_images import draw_texture, image_to_tensor, tensor_to_image
from ._validation import check_positive_int

__all__ = ["gram_matrix", "style_loss", "content_loss", "RandomFeatures", "transfer", "TransferHistory",
           "image_to_tensor", "tensor_to_image", "draw_texture"]


# --- the losses: pure functions of feature maps ------------------------------------------------------

def gram_matrix(features):
    """Gram matrix of feature maps, averaged over pixel positions: (B, C, H, W) -> (B, C, C).

    Parameters
    ----------
    features : tensor (B, C, H, W)
        Feature maps; C channels on an H x W grid.

    Returns
    -------
    tensor (B, C, C)
        ``G[b, i, j] = (1 / (H W)) * sum_p F[b, i, p] F[b, j, p]`` over the H W positions p.

    Notes
    -----
    With :math:`F_b \\in \\mathbb{R}^{C \\times HW}` the flattened maps,

    .. math:: G_b = \\frac{1}{HW} F_b F_b^\\top ,

    the uncentred second moment of the feature vectors. Dividing by the number of positions HW (not by
    C H W, nor leaving it out as Gatys et al. do, who put a factor 1/(4 N^2 M^2) in the loss instead) makes
    G independent of the image size, so a style image and a content image of different sizes can be
    compared. G is symmetric and does not change when the pixels are permuted.

    Examples
    --------
    >>> gram_matrix(torch.ones(1, 2, 3, 3))  # every product is 1, averaged over 9 positions
    tensor([[[1., 1.],
             [1., 1.]]])
    """
    if not isinstance(features, torch.Tensor) or features.ndim != 4:
        got = f"shape {tuple(features.shape)}" if isinstance(features, torch.Tensor) else type(features).__name__
        raise ValueError(f"features must be a 4-D tensor (B, C, H, W) (got {got}); "
                         f"add a batch dimension with features[None]")
    B, C, H, W = features.shape
    flat = features.reshape(B, C, H * W)  # (B, C, HW)
    return flat @ flat.transpose(1, 2) / (H * W)  # (B, C, C)


def _as_feature_list(value, name: str) -> list:
    """A tensor or a list of tensors as a list (one entry per layer)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, Sequence) and value and all(isinstance(v, torch.Tensor) for v in value):
        return list(value)
    raise TypeError(f"{name} must be a tensor (B, C, H, W) or a non-empty list of them "
                    f"(got {type(value).__name__})")


def style_loss(features, target_features, weights=None):
    """Style loss: weighted sum over layers of the mean squared difference of the Gram matrices.

    Parameters
    ----------
    features, target_features : tensor (B, C_l, H_l, W_l) or list of them, one per layer
        Feature maps of the image being made and of the style image. Layer l must have the same
        number of channels C_l in both; the sizes H_l, W_l may differ (the Gram matrix is averaged
        over positions). A target with batch size 1 is compared with every image of the batch.
    weights : sequence of float, optional
        One weight per layer; default 1 / (number of layers).

    Returns
    -------
    tensor, scalar
        ``sum_l w_l * mean_{b,i,j} (G_l[b, i, j] - A_l[b, i, j])^2``, averaged over the batch and the
        C_l x C_l entries. Zero for identical features; symmetric in its two arguments.

    Raises
    ------
    ValueError
        When the two lists have different lengths, a layer's channel counts differ, or ``weights`` has
        the wrong length.

    """
    mine = _as_feature_list(features, "features")
    theirs = _as_feature_list(target_features, "target_features")
    if len(mine) != len(theirs):
        raise ValueError(f"features and target_features must list the same number of layers "
                         f"(got {len(mine)} and {len(theirs)})")
    if weights is None:
        weights = [1.0 / len(mine)] * len(mine)
    elif len(weights) != len(mine):
        raise ValueError(f"weights must give one weight per layer ({len(mine)}) (got {len(weights)})")
    total = 0.0
    for layer, (f, t, w) in enumerate(zip(mine, theirs, weights)):
        if f.ndim != 4 or t.ndim != 4 or f.shape[1] != t.shape[1]:
            raise ValueError(f"layer {layer}: features and target_features must be (B, C, H, W) with the same "
                             f"number of channels C (got shapes {tuple(f.shape)} and {tuple(t.shape)})")
        total = total + w * (gram_matrix(f) - gram_matrix(t)).pow(2).mean()  # scalar
    return total


def content_loss(features, target_features):
    """Content loss: the mean squared error between two feature maps (summed over layers for lists).

    Parameters
    ----------
    features, target_features : tensor (B, C, H, W) or list of them
        Feature maps of the image being made and of the content image, of the same shapes.

    Returns
    -------
    tensor, scalar
        ``mean_{b,c,h,w} (F - P)^2``, i.e. ``torch.nn.functional.mse_loss(F, P)``; for lists, the sum of
        that over the layers.

    Raises
    ------
    ValueError
        When the shapes (or the number of layers) differ.
    """
    mine = _as_feature_list(features, "features")
    theirs = _as_feature_list(target_features, "target_features")
    if len(mine) != len(theirs):
        raise ValueError(f"features and target_features must list the same number of layers "
                         f"(got {len(mine)} and {len(theirs)})")
    total = 0.0
    for layer, (f, t) in enumerate(zip(mine, theirs)):
        if f.shape != t.shape:
            raise ValueError(f"layer {layer}: features and target_features must have the same shape "
                             f"(got {tuple(f.shape)} and {tuple(t.shape)}); the content image and the image "
                             f"being made must have the same size")
        total = total + (f - t).pow(2).mean()
    return total


# --- the feature extractor --------------------------------------------------------------------------

class RandomFeatures(nn.Module):
    """A multi-scale CNN with fixed random filters: image (B, 3, H, W) -> one feature map per scale.

    Scale s (s = 0, ..., n_scales - 1) is a 3 x 3 convolution with ``channels[s]`` random filters and a
    ReLU, applied to the previous scale's output average-pooled by 2 (scale 0 sees the image itself), so
    scale s works on a grid 2^s times coarser (rounded up: an odd side's last row or column is pooled on
    its own, so every pixel reaches every scale) and its features see ever larger patches (see
    :attr:`receptive_field`). Filters are drawn from N(0, 2 / fan_in) (He initialisation, which keeps the
    activations' scale from layer to layer) and stored as buffers: nothing here is trained. Borders are
    reflect-padded. The input is centred (x - 0.5) first.

    Parameters
    ----------
    n_scales : int
        Number of scales (at least 1).
    channels : int or sequence of int
        Filters per scale; an int is used at every scale. Wider layers carry more texture statistics
        (Ustyuzhaninov et al. 2017) at the price of time.
    seed : int, torch.Generator or None
        Draws the filters: the same int gives the same network; ``None`` an unpredictable one.

    Examples
    --------
    >>> net = RandomFeatures(n_scales=3, seed=0)
    >>> [tuple(f.shape) for f in net(torch.rand(1, 3, 32, 32))]
    [(1, 32, 32, 32), (1, 64, 16, 16), (1, 128, 8, 8)]
    >>> net.receptive_field, net.min_size
    (18, 18)
    """

    def __init__(self, n_scales: int = 4, channels=(32, 64, 128, 128), *, seed=None):
        super().__init__()
        self.n_scales = check_positive_int(n_scales, "n_scales")
        if isinstance(channels, int) and not isinstance(channels, bool):
            channels = (channels,) * self.n_scales
        channels = tuple(channels)
        if len(channels) < self.n_scales:
            raise ValueError(f"channels must give at least n_scales={self.n_scales} widths (got {channels})")
        self.channels = tuple(check_positive_int(c, "channels") for c in channels[:self.n_scales])
        g = tr.make_generator(seed)
        c_in = 3
        for s, c_out in enumerate(self.channels):
            std = math.sqrt(2.0 / (c_in * 9))
            w = torch.randn(c_out, c_in, 3, 3, generator=g) * std  # (C_s, C_{s-1}, 3, 3)
            self.register_buffer(f"weight{s}", w)
            c_in = c_out

    @property
    def receptive_field(self) -> int:
        """Side in pixels of the image patch that one feature of the coarsest scale sees."""
        r, jump = 1, 1
        for s in range(self.n_scales):
            if s > 0:
                r, jump = r + jump, jump * 2  # 2 x 2 average pooling
            r += 2 * jump  # 3 x 3 convolution
        return r

    @property
    def min_size(self) -> int:
        """Smallest image side accepted: the receptive field (and at least 2 pixels at the coarsest scale)."""
        return max(self.receptive_field, 2 ** self.n_scales)

    def forward(self, x):
        """Features of x (B, 3, H, W) in [0, 1]: a list of n_scales maps (B, C_s, ceil(H / 2^s), ceil(W / 2^s))."""
        h = x - 0.5  # (B, 3, H, W)
        out = []
        for s in range(self.n_scales):
            if s > 0:
                # ceil_mode: with floor pooling an odd side's last row would reach no coarser scale, and
                # nothing but scale 0's style term would hold it (a band of style colour along the border)
                h = F.avg_pool2d(h, 2, ceil_mode=True)  # (B, C_{s-1}, ceil(H / 2^s), ceil(W / 2^s))
            w = getattr(self, f"weight{s}")
            h = F.relu(F.conv2d(F.pad(h, (1, 1, 1, 1), mode="reflect"), w))  # (B, C_s, H / 2^s, W / 2^s)
            out.append(h)
        return out


# --- the optimisation ---------------------------------------------------------------------------------

class TransferHistory(TrainingHistory):
    """What :func:`transfer` records, one row per optimiser step, the first row (step 0) at the start.

    ``loss`` = ``content_weight * content_loss + style_weight * style_loss`` (the objective minimised);
    ``content_loss`` and ``style_loss`` unweighted, as :func:`content_loss` and :func:`style_loss` return
    them; ``step`` and ``seconds`` since the start.
    """


def transfer(content, style, *, steps: int = 100, content_weight: float = 1.0, style_weight: float = 30.0,
             extractor: RandomFeatures | None = None, content_layers=(2,), style_layers=None,
             init: str = "content", optimizer: str = "lbfgs", lr: float | None = None, seed=None,
             device=None, progress: bool = True):
    """Neural style transfer (Gatys et al. 2016): optimise the pixels of an image against both losses.

    Parameters
    ----------
    content : array or tensor (H, W, 3) of floats in [0, 1]
        The photograph whose layout is kept; the result has its size.
    style : array or tensor (H', W', 3) of floats in [0, 1]
        The image whose textures are copied; any size at least ``extractor.min_size``.
    steps : int
        Optimiser steps. For L-BFGS one step is one iteration with a strong-Wolfe line search (a few
        loss evaluations; a step that does not lower the loss restarts the memory); for Adam, one step.
    content_weight, style_weight : float
        alpha and beta in the objective below; the right balance depends on the images. Notebook 13
        uses beta = 300 on china.jpg at 85 x 128 with its drawn swirls and brush strokes, which keeps the
        temple recognisable; much larger values leave mostly texture. ``content_weight=0`` with
        ``init="noise"`` is texture synthesis: an image with the style's statistics and no content.
    extractor : RandomFeatures, optional
        The feature network; default ``RandomFeatures(seed=seed)``.
    content_layers, style_layers : sequence of int
        Scales of the extractor used by each loss; ``style_layers=None`` means all of them.
    init : {"content", "noise"}
        Start from the content image, or from uniform noise drawn from ``seed``.
    optimizer : {"lbfgs", "adam"}
        L-BFGS (the default, as in Gatys et al.: it reaches a low loss in far fewer steps) or Adam.
    lr : float, optional
        Step size; default 1.0 for L-BFGS, 0.05 for Adam (on the logits u of the pixels sigmoid(u)).
    seed : int, torch.Generator or None
        Draws the extractor's filters (when ``extractor`` is None) and the noise start.
    device : str or torch.device, optional
        Where to compute; default: a content tensor's device, else the extractor's (CPU for a new one).
    progress : bool
        Show a progress bar (:func:`course_utils.runtime.progress`).

    Returns
    -------
    image : ndarray (H, W, 3) float32, or tensor (H, W, 3) when ``content`` is a tensor
        The result, in (0, 1): the pixels are optimised as sigmoid(u), so no clipping is needed.
    history : TransferHistory
        ``loss``, ``content_loss``, ``style_loss`` per step, starting with the initial image at step 0.

    Raises
    ------
    TypeError, ValueError
        For images that are not (H, W, 3) floats in [0, 1], images smaller than the extractor's
        receptive field, unknown layers, bad settings, or a loss that becomes NaN.

    Notes
    -----
    With :math:`F^l(x)` the features of x at scale l, :math:`G^l` their Gram matrix (:func:`gram_matrix`),
    c the content image and s the style image, the objective is

    .. math:: \\alpha \\sum_{l \\in \\mathcal{C}} \\operatorname{mean}(F^l(x) - F^l(c))^2
              + \\beta \\sum_{l \\in \\mathcal{S}} w_l \\operatorname{mean}(G^l(x) - G^l(s))^2 ,

    with :math:`w_l = 1 / |\\mathcal{S}|`.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> c, s = torch.rand(24, 24, 3, generator=g), torch.rand(24, 24, 3, generator=g)
    >>> img, h = transfer(c, s, steps=2, extractor=RandomFeatures(n_scales=2, seed=0), content_layers=(1,),
    ...                   progress=False)
    >>> tuple(img.shape), h.step
    ((24, 24, 3), [0, 1, 2])
    """
    steps, content_weight, style_weight, lr = _h._check_settings(steps, content_weight, style_weight, init,
                                                                 optimizer, lr)
    g = tr.make_generator(seed)
    if extractor is None:
        extractor = RandomFeatures(seed=g)
    elif not isinstance(extractor, RandomFeatures):
        raise TypeError(f"extractor must be a course_utils.style.RandomFeatures (got {type(extractor).__name__})")
    if device is None:  # follow a content tensor, else the extractor
        dev = content.device if isinstance(content, torch.Tensor) else extractor.weight0.device
    else:
        dev = runtime.get_device(str(device))
    extractor = extractor.to(dev)
    content_layers = _h._check_layers(content_layers, "content_layers", extractor.n_scales)
    style_layers = _h._check_layers(range(extractor.n_scales) if style_layers is None else style_layers,
                                 "style_layers", extractor.n_scales)
    c = image_to_tensor(content, "content", device=dev)  # (1, 3, H, W)
    s = image_to_tensor(style, "style", device=dev)  # (1, 3, H', W')
    _h._check_size(c, extractor, "content"), _h._check_size(s, extractor, "style")

    with torch.no_grad():
        content_targets, style_targets = _h._pick(extractor(c), content_layers), _h._pick(extractor(s), style_layers)
    start = c.clone() if init == "content" else tr.rand(c.shape, g, c)
    # the image is sigmoid(u): it stays in (0, 1) without clipping, which would stall L-BFGS
    u = torch.logit(start.clamp(1e-3, 1 - 1e-3)).requires_grad_(True)  # (1, 3, H, W), optimised

    def objective():
        f = extractor(torch.sigmoid(u))
        lc = content_loss(_h._pick(f, content_layers), content_targets)
        ls = style_loss(_h._pick(f, style_layers), style_targets)
        return content_weight * lc + style_weight * ls, lc, ls

    history = TransferHistory()
    with torch.no_grad():
        total, lc, ls = objective()
    history.log(step=0, loss=float(total), content_loss=float(lc), style_loss=float(ls))
    opt = _h._make_optimizer(optimizer, u, lr)
    scale = 1.0  # L-BFGS's tests (curvature y.s > 1e-10) are absolute: give the objective a gradient of 1

    def closure():
        opt.zero_grad()
        total = scale * objective()[0]
        total.backward()
        return total

    if optimizer == "lbfgs":
        closure()
        scale = 1.0 / max(float(u.grad.abs().max()), 1e-30)
    fresh = optimizer == "lbfgs"  # a new L-BFGS, whose first step needs a scale
    for step in runtime.progress(range(1, steps + 1), desc="transfer", enabled=progress):
        if fresh:
            _h._scale_first_step(opt, u, closure, lr)
        opt.step(closure)
        opt.param_groups[0]["lr"], fresh = lr, False
        with torch.no_grad():
            total, lc, ls = objective()
        if not math.isfinite(float(total)):
            raise ValueError(f"style transfer diverged at step {step} (loss {float(total)}); lower lr or "
                             f"use optimizer='adam'")
        if optimizer == "lbfgs" and float(total) >= history.loss[-1]:
            opt, fresh = _h._make_optimizer(optimizer, u, lr), True  # a stuck L-BFGS restarts its memory
        history.log(step=step, loss=float(total), content_loss=float(lc), style_loss=float(ls))
    x = torch.sigmoid(u.detach())  # (1, 3, H, W)
    if isinstance(content, torch.Tensor):
        return x[0].permute(1, 2, 0).contiguous(), history  # (H, W, 3)
    return tensor_to_image(x), history

