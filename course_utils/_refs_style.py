"""Exercise references of notebook 13 (style transfer), used as ``cu.exercises.<name>``.

Nothing here imports torch at import time: each function that needs it imports it itself. The Gram
matrix and the style loss are checked against :func:`course_utils.style.gram_matrix` and
:func:`course_utils.style.style_loss` directly; this module builds their cases and holds the reference
of the style/content swap.
"""

from __future__ import annotations

__all__ = ["feature_case", "style_loss_case", "reference_style_swap", "swap_case"]


def _features(g, shape, requires_grad: bool):
    import torch

    f = torch.randn(*shape, generator=g, dtype=torch.float64).relu()  # (B, C, H, W), ReLU-like maps
    return f.requires_grad_(requires_grad)


def feature_case(shape, seed: int, label: str, requires_grad: bool = False):
    """A check case ``(features,)`` for a Gram-matrix exercise: ReLU'd standard normal maps of ``shape``
    (B, C, H, W), float64, drawn from ``seed``; with ``requires_grad`` they require grad, so that
    :func:`compare_differentiable` can tell a torch result from a NumPy one."""
    import torch

    from ._checker import case

    return case(_features(torch.Generator().manual_seed(seed), shape, requires_grad), label=label)


def style_loss_case(shapes, target_shapes, seed: int, label: str):
    """A check case ``(features, target_features)`` for a style-loss exercise: two lists of feature maps,
    one per layer, of the given (B, C_l, H_l, W_l) shapes (the targets may have other H, W), float64; the
    first list requires grad, so that :func:`compare_scalar_loss` can tell a loss tensor from a number."""
    import torch

    from ._checker import case

    g = torch.Generator().manual_seed(seed)
    mine = [_features(g, s, True) for s in shapes]
    theirs = [_features(g, s, False) for s in target_shapes]
    return case(mine, theirs, label=label)


def reference_style_swap(model, x, y_source, y_target):
    """Keep each image's style code, change its digit: (B, D) images -> (B, D) decoder means.

    Parameters
    ----------
    model : course_utils.vae.ConditionalVAE
    x : tensor (B, D)
        Images; ``y_source`` (B,) their true labels.
    y_target : array (B,)
        The labels to draw them as.

    Returns
    -------
    tensor (B, D)
        ``model.decoder_mean(mu, y_target)`` with ``mu`` the mean of q(z | x, y_source): the code is
        read with the image's own label, and only the decoder hears the new one.
    """
    import torch

    with torch.no_grad():
        mu, _ = model.encode(x, y_source)  # (B, L)
        return model.decoder_mean(mu, y_target)  # (B, D)


def swap_case(seed: int, n: int, label: str):
    """A check case ``(model, x, y_source, y_target)`` for the swap exercise: a fresh, untrained
    ``ConditionalVAE(64, 10, latent_dim=2, hidden_dims=(16,))`` whose weights are those of
    ``torch.manual_seed(seed)`` (inside ``torch.random.fork_rng``: the caller's random state is kept),
    ``n`` random images in [0, 1] and labels, with every target label different from its source.
    An untrained model tells apart mistakes that a trained one may hide (its encoder does not ignore y).
    """
    import numpy as np
    import torch

    from ._checker import case
    from ._vae_conditional import ConditionalVAE

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ConditionalVAE(64, 10, latent_dim=2, hidden_dims=(16,)).eval()
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.random((n, 64)), dtype=torch.float32)  # (n, 64)
    y_source = rng.integers(0, 10, n)  # (n,)
    y_target = (y_source + rng.integers(1, 10, n)) % 10  # (n,), never the source
    return case(model, x, y_source, y_target, label=label)
