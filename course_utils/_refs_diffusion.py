"""Exercise references of notebook 14 (diffusion), used as ``cu.exercises.<name>``.

Nothing here imports torch at import time: each function that needs it imports it itself.

- quantise and measure: :func:`reference_quantization_report`, cases from :func:`quantization_case`;
- a throughput benchmark: :func:`reference_samples_per_second`, cases from :func:`throughput_case` (a
  generator that sleeps a known time per call), compared by :func:`compare_throughput`;
- the diffusion loss: :func:`reference_diffusion_loss`, cases from :func:`diffusion_loss_case`.
"""

from __future__ import annotations

import math
import time

__all__ = ["reference_quantization_report", "quantization_case", "reference_samples_per_second",
           "throughput_case", "compare_throughput", "SlowGenerator", "reference_diffusion_loss",
           "diffusion_loss_case"]


# --- exercise 1: quantise a model and measure --------------------------------------------------------

def reference_quantization_report(model, x, t):
    """Quantise ``model`` to int8 and measure: ``(size_ratio, max_abs_error)``.

    Parameters
    ----------
    model : nn.Module
        A float model on the CPU called as ``model(x, t)`` (a :class:`~course_utils.diffusion.Denoiser`).
        Not changed.
    x : tensor (B, d)
    t : long tensor (B,)

    Returns
    -------
    (float, float)
        The bytes of the float model's saved state dict over those of its dynamic int8 copy
        (``torch.ao.quantization.quantize_dynamic`` of the ``nn.Linear`` layers), and the largest absolute
        difference between the two models' outputs on ``(x, t)``.
    """
    import torch

    from .scalability import quantize_int8, state_size_bytes

    quantised = quantize_int8(model)
    with torch.no_grad():
        error = (model(x, t) - quantised(x, t)).abs().max()
    return state_size_bytes(model) / state_size_bytes(quantised), float(error)


def quantization_case(seed: int, hidden_dim: int, n: int, label: str, T: int = 100):
    """A check case ``(model, x, t)``: an untrained ``Denoiser(2, hidden_dim, seed=seed)`` in eval mode, ``n``
    standard normal points and steps drawn uniformly from 0..T-1 (all from ``seed``)."""
    import torch

    from ._checker import case
    from .diffusion import Denoiser

    g = torch.Generator().manual_seed(seed)
    model = Denoiser(2, hidden_dim=hidden_dim, seed=seed).eval()
    x = torch.randn(n, 2, generator=g)  # (n, 2)
    t = torch.randint(0, T, (n,), generator=g)  # (n,)
    return case(model, x, t, label=label)


# --- exercise 2: a throughput benchmark ----------------------------------------------------------------

class SlowGenerator:
    """A stand-in generator for timing exercises: ``gen(n)`` sleeps ``first_s`` seconds on its first call
    (a warm-up cost) and ``call_s`` on every later one, then returns zeros of shape (n, 2). ``calls``
    counts the calls."""

    def __init__(self, first_s: float, call_s: float):
        self.first_s, self.call_s, self.calls = float(first_s), float(call_s), 0

    def __call__(self, n):
        import numpy as np

        time.sleep(self.first_s if self.calls == 0 else self.call_s)
        self.calls += 1
        return np.zeros((int(n), 2))

    def __repr__(self) -> str:
        return f"SlowGenerator(first call {self.first_s} s, later calls {self.call_s} s each)"


def reference_samples_per_second(generate, n, repeats):
    """Samples per second of ``generate(n)``: one untimed warm-up call, then ``n * repeats`` samples over
    the wall-clock seconds of ``repeats`` timed calls (:func:`course_utils.scalability.samples_per_second`)."""
    from .scalability import samples_per_second

    return samples_per_second(generate, n, repeats=repeats, warmup=1)


def throughput_case(n: int, repeats: int, first_s: float, call_s: float, label: str):
    """A check case ``(generate, n, repeats)`` with a fresh :class:`SlowGenerator` (copied per call)."""
    from ._checker import case

    return case(SlowGenerator(first_s, call_s), n, repeats, label=label)


def compare_throughput(expected, got, *, low: float = 0.65, high: float = 1.4) -> str | None:
    """``compare_fn`` for the throughput exercise: ``got`` must be a positive number within a factor
    [low, high] of the reference's own measurement. Both are timings of the same sleeps (at least 0.05 s
    per timed call in the notebook's cases), so they agree to a few per cent on a quiet machine and
    within about 20 % on a loaded one, where a sleep can overrun by 10 ms or more; the common mistakes
    are off by a factor of 2 or more in the notebook's cases (timing the warm-up: below 0.5; counting
    the warm-up's samples with one timed call: 2; calls or seconds instead of samples per second)."""
    try:
        got = float(got)
    except (TypeError, ValueError):
        return f"result should be one number, samples per second (got a {type(got).__name__})"
    if not math.isfinite(got) or got <= 0:
        return f"result should be a positive, finite number of samples per second (got {got})"
    ratio = got / expected
    if low <= ratio <= high:
        return None
    if ratio < 1e-3:
        return ("far too small: is it seconds per sample, or seconds in all? Throughput is samples divided "
                "by seconds")
    if ratio < low:
        return (f"{ratio:.2f} times the expected rate: too slow. Did the timing include the first (warm-up) "
                "call, or count only the calls and not the n samples each returns?")
    return (f"{ratio:.2f} times the expected rate: too fast. Did you count more samples than the timed calls "
            "made (e.g. the warm-up's), or time only part of the calls?")


# --- exercise 3: the diffusion loss -----------------------------------------------------------------------

def reference_diffusion_loss(model, x0, t, noise, schedule):
    r"""Ho et al.'s simple loss for given steps and noise: a 0-d tensor,
    :math:`\operatorname{mean}\,(\varepsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon, t)
    - \varepsilon)^2` over the B rows and d coordinates.

    Parameters
    ----------
    model : nn.Module
        ``model(x_t, t)`` -> predicted noise (B, d).
    x0, noise : tensor (B, d)
    t : long tensor (B,)
        Code steps 0..T-1 (``schedule.alpha_bars[t]``).
    schedule : course_utils.diffusion.Schedule
    """
    from .diffusion import q_sample

    x_t = q_sample(x0, t, schedule, noise=noise)  # (B, d)
    return (model(x_t, t) - noise).pow(2).mean()


def diffusion_loss_case(seed: int, n: int, T: int, label: str, hidden_dim: int = 16, *, reads_input: bool = False):
    """A check case ``(model, x0, t, noise, schedule)``: an untrained ``Denoiser(2, hidden_dim, n_layers=2)``
    from ``seed``, float32 data and noise (n, 2), steps uniform on 0..T-1 with the first two rows at steps
    0 and T-1 (the ends, where index mistakes show), and ``Schedule(T)``.

    An untrained denoiser barely reads its input, so a wrong ``x_t`` changes its loss by a fraction of a per
    cent. With ``reads_input=True`` the model is instead ``w * x_t`` with one trainable weight ``w = 1``: its
    loss moves with every mistake in ``x_t`` (a missing square root, the one-step alpha, ``x0`` fed in)."""
    import torch

    from ._checker import case
    from .diffusion import Denoiser, Schedule

    g = torch.Generator().manual_seed(seed)
    model = _ScaledInput() if reads_input else Denoiser(2, hidden_dim=hidden_dim, n_layers=2, seed=seed)
    x0 = 2.0 * torch.randn(n, 2, generator=g)  # (n, 2)
    noise = torch.randn(n, 2, generator=g)  # (n, 2)
    t = torch.randint(0, T, (n,), generator=g)  # (n,)
    t[0], t[1] = 0, T - 1
    return case(model, x0, t, noise, Schedule(T), label=label)


def _ScaledInput():
    """A stand-in denoiser ``x_t, t -> w * x_t`` with one trainable weight (1), for :func:`diffusion_loss_case`."""
    import torch

    class ScaledInput(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor(1.0))

        def forward(self, x_t, t):
            return self.w * x_t  # (B, d)

        def __repr__(self):
            return "ScaledInput(w * x_t, w = 1)"

    return ScaledInput()
