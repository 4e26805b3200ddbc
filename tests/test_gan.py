"""Tests for course_utils.gan: losses against BCE-with-logits, the optimal discriminator, the loop."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.datasets import ring_of_gaussians
from course_utils.gan import (
    GAN_LOSSES,
    ConvDiscriminator,
    ConvGenerator,
    Discriminator,
    Generator,
    alternating_step,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    train_gan,
)

torch.set_num_threads(1)


# --- losses ---------------------------------------------------------------------------------------

def test_losses_match_bce_with_logits():
    g = torch.Generator().manual_seed(0)
    real, fake = 3 * torch.randn(50, generator=g), 3 * torch.randn(40, generator=g)
    ref_d = (F.binary_cross_entropy_with_logits(real, torch.ones(50))
             + F.binary_cross_entropy_with_logits(fake, torch.zeros(40)))
    torch.testing.assert_close(discriminator_loss(real, fake), ref_d, rtol=0, atol=1e-6)
    ref_ns = F.binary_cross_entropy_with_logits(fake, torch.ones(40))
    torch.testing.assert_close(generator_loss(fake), ref_ns, rtol=0, atol=1e-6)
    # minimax: E[log(1 - D)] = -BCE(l, 0)
    ref_mm = -F.binary_cross_entropy_with_logits(fake, torch.zeros(40))
    torch.testing.assert_close(generator_loss(fake, kind="minimax"), ref_mm, rtol=0, atol=1e-6)


def test_losses_hand_example():
    # D = 1/2 everywhere: L_D = 2 log 2, L_G(ns) = log 2, L_G(mm) = -log 2
    assert abs(discriminator_loss(torch.zeros(4), torch.zeros(4)).item() - 2 * math.log(2)) < 1e-6
    assert abs(generator_loss(torch.zeros(4)).item() - math.log(2)) < 1e-6
    assert abs(generator_loss(torch.zeros(4), kind="minimax").item() + math.log(2)) < 1e-6


def test_losses_are_finite_at_extreme_logits():
    logits = torch.tensor([-1e4, 1e4, 0.0], requires_grad=True)
    for value in (discriminator_loss(logits, logits), generator_loss(logits),
                  generator_loss(logits, kind="minimax")):
        assert torch.isfinite(value)
        (grad,) = torch.autograd.grad(value, logits)
        assert torch.isfinite(grad).all()
    # a confident, correct discriminator has (almost) zero loss; a confidently wrong one pays |l|
    assert discriminator_loss(torch.tensor([1e4]), torch.tensor([-1e4])).item() < 1e-6
    assert abs(discriminator_loss(torch.tensor([-1e4]), torch.tensor([-1e4])).item() - 1e4) < 1e-2


def _log_normal(x, mean, std):
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std * math.sqrt(2 * math.pi))


def test_optimal_discriminator_on_a_grid():
    """Minimising the expected loss pointwise gives D*(x) = p_data / (p_data + p_g)."""
    x = torch.linspace(-4, 5, 200, dtype=torch.float64)
    log_pd, log_pg = _log_normal(x, 0.0, 1.0), _log_normal(x, 1.5, 0.7)
    w_d, w_g = log_pd.exp() / log_pd.exp().sum(), log_pg.exp() / log_pg.exp().sum()
    logits = torch.zeros_like(x, requires_grad=True)
    opt = torch.optim.LBFGS([logits], lr=1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        # the weighted form of discriminator_loss: expectations under p_data and p_g on the grid
        loss = (w_d * F.softplus(-logits)).sum() + (w_g * F.softplus(logits)).sum()
        loss.backward()
        return loss

    opt.step(closure)
    d_star = torch.sigmoid(log_pd - log_pg)  # p_d / (p_d + p_g)
    inside = (x > -2) & (x < 3)  # where both densities carry weight
    assert (torch.sigmoid(logits.detach())[inside] - d_star[inside]).abs().max() < 1e-3


def test_optimal_discriminator_trained_on_samples():
    """A Discriminator trained with discriminator_loss on samples of two 1-D densities approaches D*."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    D = Discriminator(1, hidden_dims=(32,))
    opt = torch.optim.Adam(D.parameters(), lr=1e-2)
    for step in range(400):
        real = torch.randn(512, 1, generator=g)  # p_data = N(0, 1)
        fake = 1.5 + 0.7 * torch.randn(512, 1, generator=g)  # p_g = N(1.5, 0.7^2)
        loss = discriminator_loss(D(real), D(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 300:
            opt.param_groups[0]["lr"] = 1e-3
    x = torch.linspace(-1.5, 2.5, 41)
    d_star = torch.sigmoid(_log_normal(x, 0.0, 1.0) - _log_normal(x, 1.5, 0.7))
    with torch.no_grad():
        d = torch.sigmoid(D(x[:, None]))
    assert (d - d_star).abs().max() < 0.06


def test_gradient_penalty_of_a_linear_critic():
    critic = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))  # ||grad|| = 5 everywhere
    gp = gradient_penalty(lambda x: critic(x).squeeze(-1), torch.randn(8, 2), torch.randn(8, 2), seed=0)
    assert abs(gp.item() - 16.0) < 1e-5


# --- training -------------------------------------------------------------------------------------

def _sampler(mean=3.0, seed=0):
    rng = np.random.default_rng(seed)
    return lambda n: torch.from_numpy((mean + 0.5 * rng.standard_normal((n, 1))).astype(np.float32))


@pytest.mark.parametrize("loss", GAN_LOSSES)
def test_train_gan_moves_the_generator_to_the_data(loss):
    torch.manual_seed(0)
    pack = 4 if loss == "pacgan" else 1
    G, D = Generator(2, 1, hidden_dims=(16,)), Discriminator(pack * 1, hidden_dims=(16,))
    before = G.sample(2000, seed=1).mean().item()
    hist = train_gan(G, D, _sampler(), steps=200, batch_size=64, lr=2e-3, loss=loss, progress=False,
                     sample_every=100, n_samples=100, seed=0)
    after = G.sample(2000, seed=1).mean().item()
    assert abs(after - 3.0) < 0.5 * abs(before - 3.0)  # the generator's mean moved at least halfway
    assert list(hist)[:6] == ["step", "loss", "d_loss", "d_real_accuracy", "d_fake_accuracy", "seconds"]
    assert len(hist.d_loss) == len(hist.loss) == len(hist["d_real_accuracy"]) == len(hist.step) == 200
    assert hist.sample_steps == [100, 200] and hist.samples[0].shape == (100, 1)


def test_train_gan_same_seed_same_numbers_and_device():
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        G, D = Generator(2, 1, hidden_dims=(8,)), Discriminator(1, hidden_dims=(8,))
        runs.append(train_gan(G, D, _sampler(), steps=5, batch_size=16, progress=False, seed=1).d_loss)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)
    assert next(G.parameters()).device.type == "cpu" and next(D.parameters()).device.type == "cpu"
    if torch.cuda.is_available():
        train_gan(G, D, _sampler(), steps=2, device="cuda", progress=False)
        assert next(D.parameters()).device.type == "cuda"


@pytest.mark.parametrize("kind", ["array", "tensor64", "loader"])
def test_train_gan_takes_arrays_tensors_and_loaders(kind):
    rng = np.random.default_rng(0)
    X = 3.0 + 0.5 * rng.standard_normal((512, 1))  # float64, (512, 1)
    data = {"array": X, "tensor64": torch.from_numpy(X),
            "loader": torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(X)),
                                                  batch_size=64, shuffle=False)}[kind]
    torch.manual_seed(0)
    G, D = Generator(2, 1, hidden_dims=(16,)), Discriminator(1, hidden_dims=(16,))
    before = G.sample(2000, seed=1).mean().item()
    hist = train_gan(G, D, data, steps=200, batch_size=64, lr=2e-3, progress=False, seed=0, n_samples=500)
    assert hist.samples[-1].dtype == torch.float32 and hist.samples[-1].shape == (500, 1)
    after = G.sample(2000, seed=1).mean().item()
    assert abs(after - 3.0) < 0.5 * abs(before - 3.0)  # the generator's mean moved at least halfway


def test_array_data_rows_come_from_the_seed():
    X = np.arange(40.0).reshape(20, 2)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        G, D = Generator(2, 2, hidden_dims=(8,)), Discriminator(2, hidden_dims=(8,))
        runs.append(train_gan(G, D, X, steps=3, batch_size=8, progress=False, seed=4).d_loss)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)


def test_train_gan_plays_alternating_step_rounds():
    """With one critic step, a constant lr and the same noise, train_gan's first step is alternating_step."""
    X = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))

    def build():
        torch.manual_seed(0)
        return Generator(2, 2, hidden_dims=(8,)), Discriminator(2, hidden_dims=(8,))

    G, D = build()
    hist = train_gan(G, D, lambda n: X[:n], steps=1, batch_size=64, lr=1e-2, schedule="constant",
                     progress=False, seed=7)
    G2, D2 = build()
    opts = [torch.optim.Adam(m.parameters(), lr=1e-2, betas=(0.5, 0.999)) for m in (G2, D2)]
    g = torch.Generator().manual_seed(7)
    torch.randn(1000, 2, generator=g)  # the fixed snapshot codes come first
    z_d, z_g = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g)
    with torch.no_grad():
        fake = G2(z_d)
    d_loss = discriminator_loss(D2(X), D2(fake))
    opts[1].zero_grad()
    d_loss.backward()
    opts[1].step()
    g_loss = generator_loss(D2(G2(z_g)))
    assert hist.d_loss[0] == pytest.approx(d_loss.item(), rel=1e-6)
    assert hist.loss[0] == pytest.approx(g_loss.item(), rel=1e-6)


def test_conv_pair_shapes():
    G, D = ConvGenerator(latent_dim=4, channels=8), ConvDiscriminator(channels=8)
    x = G.sample(3, seed=0)
    assert x.shape == (3, 64) and 0 <= x.min() and x.max() <= 1
    assert D(x).shape == (3,)


def test_bad_input_raises_clear_errors():
    G, D = Generator(2, 1, hidden_dims=(8,)), Discriminator(1, hidden_dims=(8,))
    with pytest.raises(ValueError, match="loss must be one of 'non_saturating', 'minimax', 'wgan-gp', 'pacgan'"):
        train_gan(G, D, _sampler(), steps=1, loss="hinge")
    with pytest.raises(ValueError, match=r"discriminator must take pack \* D = 4 \* 1 = 4 inputs"):
        train_gan(G, D, _sampler(), steps=1, loss="pacgan")
    with pytest.raises(ValueError, match="batch_size must be a multiple of pack=4"):
        train_gan(G, Discriminator(4), _sampler(), steps=1, loss="pacgan", batch_size=30)
    with pytest.raises(ValueError, match="steps must be an integer >= 1 \\(got 0\\)"):
        train_gan(G, D, _sampler(), steps=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        train_gan(G, D, _sampler(), steps=1, batch_size=0)
    with pytest.raises(ValueError, match=r"sample_real\(n\) must be 2-D"):
        train_gan(G, D, lambda n: torch.zeros(n), steps=1)
    with pytest.raises(ValueError, match=r"sample_real\(n\) must hold finite numbers"):
        train_gan(G, D, lambda n: torch.full((n, 1), float("nan")), steps=1)
    with pytest.raises(ValueError, match="kind must be one of 'non_saturating', 'minimax'"):
        generator_loss(torch.zeros(3), kind="wgan")
    with pytest.raises(ValueError, match="real_logits must hold finite numbers"):
        discriminator_loss(torch.tensor([float("nan")]), torch.zeros(1))
    with pytest.raises(TypeError, match="seed must be an int, a torch.Generator or None"):
        train_gan(G, D, _sampler(), steps=1, seed="0")
    with pytest.raises(ValueError, match=r"discriminator must take pack \* D = 1 \* 2 = 2 inputs"):
        train_gan(G, D, np.zeros((10, 2)), steps=1, batch_size=4)
    with pytest.raises(ValueError, match="data must hold finite numbers"):
        train_gan(G, D, np.full((10, 1), np.nan), steps=1, batch_size=4)


def test_alternating_step_moves_d_then_g_as_written_by_hand():
    def build(seed):
        torch.manual_seed(seed)
        G, D = Generator(2, 2, hidden_dims=(8,)), Discriminator(2, hidden_dims=(8,))
        return G, D, torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)

    real = torch.tensor(ring_of_gaussians(16, rng=0).X, dtype=torch.float32)  # (16, 2)
    z = torch.randn(16, 2, generator=torch.Generator().manual_seed(1))
    G, D, opt_g, opt_d = build(0)
    d_loss, g_loss = alternating_step(G, D, opt_g, opt_d, real, z)

    G2, D2, opt_g2, opt_d2 = build(0)
    fake = G2(z).detach()
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    d_ref = bce(D2(real), torch.ones(16)) + bce(D2(fake), torch.zeros(16))
    opt_d2.zero_grad()
    d_ref.backward()
    opt_d2.step()
    g_ref = bce(D2(G2(z)), torch.ones(16))
    opt_g2.zero_grad()
    g_ref.backward()
    opt_g2.step()
    assert d_loss == pytest.approx(d_ref.item(), rel=1e-6)
    assert g_loss == pytest.approx(g_ref.item(), rel=1e-6)
    for a, b in zip(list(G.parameters()) + list(D.parameters()), list(G2.parameters()) + list(D2.parameters())):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
