"""course_utils.scalability: size, int8 quantisation, pruning and throughput, against torch and by hand."""

import io
import time

import pytest
import torch
from torch import nn

from course_utils import scalability as sc
from course_utils.diffusion import Denoiser, Schedule, sample

torch.set_num_threads(1)


def test_state_size_matches_torch_save_and_grows_with_weights():
    small, big = nn.Linear(10, 10), nn.Linear(100, 100)
    buf = io.BytesIO()
    torch.save(big.state_dict(), buf)
    assert sc.state_size_bytes(big) == len(buf.getvalue())
    assert sc.state_size_bytes(big) > 4 * 100 * 100 > sc.state_size_bytes(small)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        sc.state_size_bytes("not a model")


def test_quantize_int8_matches_torch_and_leaves_the_original():
    model = Denoiser(2, seed=0).eval()
    before = [p.clone() for p in model.parameters()]
    q = sc.quantize_int8(model)
    ref = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    x, t = torch.randn(50, 2), torch.randint(0, 100, (50,))
    with torch.no_grad():
        assert torch.allclose(q(x, t), ref(x, t), atol=1e-6)
        assert (q(x, t) - model(x, t)).abs().max() < 0.05  # int8 is close to float
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert sc.state_size_bytes(q) < 0.5 * sc.state_size_bytes(model)
    assert sample(q, Schedule(10), 7, seed=0).shape == (7, 2)  # the device anchor lets sample() run it


def test_prune_linear_zeroes_the_smallest_weights_globally():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    pruned = sc.prune_linear(model, 0.5)
    assert sc.linear_sparsity(model) == 0.0
    assert sc.linear_sparsity(pruned) == pytest.approx(0.5, abs=1 / 56)
    all_w = torch.cat([m.weight.flatten() for m in model.modules() if isinstance(m, nn.Linear)]).abs()
    kept = torch.cat([m.weight.flatten() for m in pruned.modules() if isinstance(m, nn.Linear)]) != 0
    assert all_w[kept].min() >= all_w[~kept].max()  # global L1: brute-force order
    assert sc.state_size_bytes(pruned) == sc.state_size_bytes(model)  # dense storage: same file
    with pytest.raises(ValueError, match="amount"):
        sc.prune_linear(model, 1.0)
    with pytest.raises(ValueError, match="no nn.Linear"):
        sc.prune_linear(nn.ReLU(), 0.5)


def test_samples_per_second_times_the_calls_after_the_warm_up():
    calls = []

    def gen(n):
        time.sleep(0.1 if not calls else 0.01)
        calls.append(n)

    rate = sc.samples_per_second(gen, 100, repeats=3)
    assert calls == [100] * 4
    assert 0.6 * 10_000 < rate <= 10_000 * 1.01  # 100 samples per 10 ms, the 100 ms warm-up not counted
    with pytest.raises(ValueError, match="repeats"):
        sc.samples_per_second(gen, 10, repeats=0)
