"""Measuring a model's cost: its size on disk, int8 dynamic quantisation, magnitude pruning, throughput.

The helpers of notebook 14 ("scalability" and "real-time generation"), used as ``cu.scalability.<name>``.
Each returns a new model and leaves its argument untouched. Dynamic quantisation (``torch.ao.quantization.quantize_dynamic``) stores the
weights of every ``nn.Linear`` as int8 with one scale per tensor and quantises the activations on the fly;
it runs on the CPU only. Pruning (``torch.nn.utils.prune``) sets the smallest weights to zero; the tensors
keep their dense shape, so the file and the speed do not change unless the zeros are stored sparsely.
"""

from __future__ import annotations

import copy
import io
import time
import warnings
from collections.abc import Callable

import torch
from torch import nn

from ._validation import check_positive_int

__all__ = ["state_size_bytes", "quantize_int8", "prune_linear", "linear_sparsity", "samples_per_second"]


def state_size_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())``: the model's size as a file (weights and metadata).

    Examples
    --------
    >>> state_size_bytes(nn.Linear(100, 100)) > 4 * 100 * 100
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def quantize_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` on the CPU with every ``nn.Linear`` dynamically quantised to int8.

    The same call as ``torch.ao.quantization.quantize_dynamic(copy, {nn.Linear}, dtype=torch.qint8)``;
    PyTorch's deprecation warnings of the ``torch.ao`` API (moving to the ``torchao`` package) are kept
    quiet. The original model is not changed. The copy is in eval mode. Quantised layers hold no
    parameters, so the copy gets an empty float32 buffer ``device_anchor`` (not saved in the state dict):
    helpers that read the device and dtype from a model's first parameter or buffer, such as
    :func:`course_utils.diffusion.sample`, can run it.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    float_copy = copy.deepcopy(model).cpu().eval()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*deprecat.*")
        quantised = torch.ao.quantization.quantize_dynamic(float_copy, {nn.Linear}, dtype=torch.qint8)
    if next(iter((*quantised.parameters(), *quantised.buffers())), None) is None:
        quantised.register_buffer("device_anchor", torch.zeros(0), persistent=False)
    return quantised


def prune_linear(model: nn.Module, amount: float) -> nn.Module:
    """A copy of ``model`` whose smallest ``amount`` share of ``nn.Linear`` weights (by |w|, over all layers
    together: global L1 pruning) is set to zero, the mask made permanent. Biases are kept.

    Raises
    ------
    ValueError
        For ``amount`` outside [0, 1) or a model without ``nn.Linear`` layers.
    """
    import torch.nn.utils.prune as prune

    if not 0.0 <= float(amount) < 1.0:
        raise ValueError(f"amount must be a share of the weights in [0, 1) (got {amount})")
    pruned = copy.deepcopy(model)
    layers = [m for m in pruned.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("model has no nn.Linear layers to prune")
    prune.global_unstructured([(m, "weight") for m in layers], pruning_method=prune.L1Unstructured,
                              amount=float(amount))
    for m in layers:
        prune.remove(m, "weight")  # weight = weight_orig * mask, stored as a plain tensor again
    return pruned


def linear_sparsity(model: nn.Module) -> float:
    """Share of exactly-zero entries among the weights of the model's ``nn.Linear`` layers."""
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    if not weights:
        raise ValueError("model has no nn.Linear layers")
    zeros = sum(int((w == 0).sum()) for w in weights)
    return zeros / sum(w.numel() for w in weights)


def samples_per_second(generate: Callable[[int], object], n: int, *, repeats: int = 5, warmup: int = 1,
                       device=None) -> float:
    """Throughput of ``generate(n)``: ``n * repeats`` samples over the seconds of ``repeats`` timed calls.

    ``warmup`` untimed calls come first (they pay for one-off costs: allocation, kernel selection, caches).
    Wall-clock time by ``time.perf_counter``. On a CUDA ``device`` the GPU is synchronised before the
    clock starts and after every call, since CUDA kernels run asynchronously.

    Examples
    --------
    >>> samples_per_second(lambda n: torch.zeros(n, 2), 1000, repeats=2) > 0
    True
    """
    n = check_positive_int(n, "n")
    repeats = check_positive_int(repeats, "repeats")
    warmup = check_positive_int(warmup, "warmup", minimum=0)
    cuda = device is not None and torch.device(device).type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        generate(n)
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        generate(n)
        sync()
    return n * repeats / (time.perf_counter() - start)
