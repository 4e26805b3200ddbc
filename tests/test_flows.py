"""Tests for course_utils.flows: invertibility, exact log-determinants, normalisation, the loop."""

import math

import numpy as np
import pytest
import torch

from course_utils.flows import AffineCoupling, InvertibleLinear, RealNVP, train_flow

torch.set_num_threads(1)


def _random_flow(dim=2, n_layers=4, hidden_dim=16, seed=0, scale=0.3, mixing="alternate"):
    """A RealNVP whose layers are not the identity (the last layers start at zero)."""
    torch.manual_seed(seed)
    flow = RealNVP(dim, n_layers=n_layers, hidden_dim=hidden_dim, mixing=mixing).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in flow.layers:
            last = layer.net[-1]
            last.weight.copy_(scale * torch.randn(last.weight.shape, generator=g, dtype=torch.float64))
            last.bias.copy_(scale * torch.randn(last.bias.shape, generator=g, dtype=torch.float64))
        for mixer in flow.mixers:  # mixing="lu": move the learned linear maps off their start
            mixer.lower.add_(scale * torch.randn(mixer.lower.shape, generator=g, dtype=torch.float64))
            mixer.upper.add_(scale * torch.randn(mixer.upper.shape, generator=g, dtype=torch.float64))
            mixer.log_s.add_(scale * torch.randn(mixer.log_s.shape, generator=g, dtype=torch.float64))
        flow.loc.copy_(torch.tensor([0.3, -0.2] + [0.0] * (dim - 2), dtype=torch.float64))
        flow.log_scale.fill_(0.2)
    return flow


@pytest.mark.parametrize("mixing", ["alternate", "reflection", "lu"])
def test_inverse_undoes_forward(mixing):
    flow = _random_flow(dim=3, mixing=mixing)
    x = torch.randn(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    z, _ = flow(x)
    assert (z - x).abs().max() > 0.1  # the flow really transforms
    torch.testing.assert_close(flow.inverse(z), x, rtol=0, atol=1e-10)
    torch.testing.assert_close(flow(flow.inverse(x))[0], x, rtol=0, atol=1e-10)


@pytest.mark.parametrize("dim, mixing", [(2, "alternate"), (3, "alternate"), (3, "reflection"), (2, "lu"),
                                          (3, "lu")])
def test_log_det_matches_the_autograd_jacobian(dim, mixing):
    flow = _random_flow(dim=dim, mixing=mixing)
    x = torch.randn(5, dim, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    _, log_det = flow(x)
    for i in range(5):
        J = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[i])  # (d, d)
        sign, ref = torch.linalg.slogdet(J)
        assert sign != 0  # reflections may flip the orientation; log_det is log|det J|
        assert abs(log_det[i].item() - ref.item()) < 1e-10


def test_coupling_jacobian_is_triangular_and_keeps_masked_coordinates():
    torch.manual_seed(0)
    layer = AffineCoupling(2, torch.tensor([1.0, 0.0]), hidden_dim=8).double()
    with torch.no_grad():
        layer.net[-1].weight.normal_()
    x = torch.tensor([0.4, -1.3], dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda v: layer(v[None])[0][0], x)
    assert abs(J[0, 1].item()) < 1e-12 and abs(J[0, 0].item() - 1.0) < 1e-12
    z, log_det = layer(x[None])
    assert abs(z[0, 0].item() - 0.4) < 1e-12
    assert abs(log_det.item() - math.log(J[1, 1].item())) < 1e-10


def test_invertible_linear_matches_its_matrix():
    torch.manual_seed(0)
    layer = InvertibleLinear(3, seed=0).double()
    with torch.no_grad():
        layer.lower.normal_()
        layer.upper.normal_()
        layer.log_s.normal_()
    W = layer.weight()  # (3, 3)
    x = torch.randn(4, 3, dtype=torch.float64)
    z, log_det = layer(x)
    torch.testing.assert_close(z, x @ W.T, rtol=0, atol=1e-12)
    torch.testing.assert_close(log_det, torch.linalg.slogdet(W)[1].expand(4), rtol=0, atol=1e-12)
    torch.testing.assert_close(layer.inverse(z), x, rtol=0, atol=1e-12)


@pytest.mark.parametrize("mixing", ["alternate", "lu"])
def test_log_prob_integrates_to_one_on_a_grid(mixing):
    flow = _random_flow(mixing=mixing)
    t = torch.linspace(-9, 9, 361, dtype=torch.float64)
    xx, yy = torch.meshgrid(t, t, indexing="ij")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (361^2, 2)
    with torch.no_grad():
        density = flow.log_prob(grid).exp()
    cell = (t[1] - t[0]).item() ** 2
    assert abs(density.sum().item() * cell - 1.0) < 0.01


def test_train_flow_fits_a_gaussian_and_records_history():
    g = torch.Generator().manual_seed(0)
    data = torch.randn(512, 2, generator=g) * torch.tensor([0.5, 2.0]) + torch.tensor([2.0, -1.0])
    # the true entropy: 0.5 * log((2 pi e)^2 * 0.25 * 4) = log(2 pi e)
    true_nll = math.log(2 * math.pi * math.e)
    torch.manual_seed(0)
    flow = RealNVP(2, n_layers=2, hidden_dim=16)
    hist = train_flow(flow, data, epochs=40, batch_size=128, lr=1e-2, validation=data[:256],
                      progress=False, seed=0)
    assert list(hist) == ["epoch", "loss", "val_loss", "lr", "seconds"]
    assert len(hist.loss) == len(hist.val_loss) == len(hist["seconds"]) == 40
    assert hist.loss[-1] < hist.loss[0] - 1.0
    assert abs(hist.loss[-1] - true_nll) < 0.15
    samples = flow.sample(4000, seed=1)
    assert samples.shape == (4000, 2)
    np.testing.assert_allclose(samples.mean(0).numpy(), [2.0, -1.0], atol=0.15)
    np.testing.assert_allclose(samples.std(0).numpy(), [0.5, 2.0], rtol=0.15)


def test_train_flow_same_seed_same_numbers_and_device():
    data = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        flow = RealNVP(2, n_layers=2, hidden_dim=8)
        runs.append(train_flow(flow, data, epochs=3, batch_size=16, progress=False, seed=3).loss)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)
    torch.testing.assert_close(flow.sample(5, seed=2), flow.sample(5, seed=2))
    assert flow.loc.device.type == "cpu"
    torch.manual_seed(0)
    jittered = RealNVP(2, n_layers=2, hidden_dim=8, mixing="lu")
    hist = train_flow(jittered, data, epochs=2, batch_size=16, noise_std=0.02, max_grad_norm=5.0,
                      init_from_data=True, progress=False, seed=3)
    assert all(math.isfinite(v) for v in hist.loss)
    fresh = RealNVP(2, n_layers=2, hidden_dim=8)
    train_flow(fresh, data, epochs=1, lr=1e-9, init_from_data=True, progress=False, seed=3)
    torch.testing.assert_close(fresh.loc.detach(), data.mean(0), rtol=0, atol=1e-6)
    torch.testing.assert_close(fresh.log_scale.detach().exp(), data.std(0), rtol=1e-5, atol=0)
    if torch.cuda.is_available():
        train_flow(flow, data, epochs=1, device="cuda", progress=False)
        assert flow.loc.device.type == "cuda"


def test_random_rotations_come_from_the_seed():
    a, b = RealNVP(3, n_layers=3, mixing="lu", seed=5), RealNVP(3, n_layers=3, mixing="lu", seed=5)
    torch.testing.assert_close(a.mixers[0].weight(), b.mixers[0].weight(), rtol=0, atol=0)
    c = RealNVP(3, n_layers=3, mixing="lu", seed=6)
    assert (a.mixers[0].weight() - c.mixers[0].weight()).abs().max() > 1e-3
    r1, r2 = RealNVP(3, n_layers=3, mixing="reflection"), RealNVP(3, n_layers=3, mixing="reflection")
    assert (r1.normals - r2.normals).abs().max() > 1e-6  # seed=None: fresh, unpredictable ones
    torch.testing.assert_close(InvertibleLinear(3, seed=1).weight(), InvertibleLinear(3, seed=1).weight())


def test_train_flow_takes_float64_numpy_and_a_dataloader():
    X = np.random.default_rng(0).standard_normal((64, 2))  # float64
    runs = []
    for data in (X, torch.tensor(X, dtype=torch.float32)):
        torch.manual_seed(0)
        runs.append(train_flow(RealNVP(2, n_layers=2, hidden_dim=8), data, epochs=2, batch_size=16,
                               progress=False, seed=0).loss)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(X)), batch_size=16)
    flow = RealNVP(2, n_layers=2, hidden_dim=8)
    hist = train_flow(flow, loader, epochs=2, validation=loader, init_from_data=True, lr=1e-9, progress=False)
    assert len(hist.loss) == len(hist.val_loss) == 2
    torch.testing.assert_close(flow.loc.detach(), torch.tensor(X.mean(0), dtype=torch.float32), rtol=0, atol=1e-5)
    torch.testing.assert_close(flow.log_scale.detach().exp(), torch.tensor(X.std(0, ddof=1), dtype=torch.float32),
                               rtol=1e-4, atol=0)


def test_bad_input_raises_clear_errors():
    flow = RealNVP(2, n_layers=2, hidden_dim=8)
    data = torch.randn(32, 2)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1 \\(got 0\\)"):
        train_flow(flow, data, epochs=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        train_flow(flow, data, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match=r"data must have 2 columns.*\(32, 3\)"):
        train_flow(flow, torch.randn(32, 3), epochs=1)
    with pytest.raises(ValueError, match="noise_std must be a finite number >= 0"):
        train_flow(flow, data, epochs=1, noise_std=-0.1)
    with pytest.raises(ValueError, match="mixing must be one of"):
        RealNVP(2, mixing="rotation")
    bad = data.clone()
    bad[0, 1] = float("inf")
    with pytest.raises(ValueError, match="data must hold finite numbers"):
        train_flow(flow, bad, epochs=1)
    with pytest.raises(ValueError, match="dim must be an integer >= 2"):
        RealNVP(1)
    with pytest.raises(ValueError, match="mask must contain both 0s and 1s"):
        AffineCoupling(2, torch.tensor([1.0, 1.0]))
    with pytest.raises(ValueError, match="mask must be a 0/1 vector of length dim=3"):
        AffineCoupling(3, torch.tensor([1.0, 0.0]))
