"""Tests for course_utils.vae: closed forms against torch.distributions, IWAE bounds, the training loop."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from course_utils.vae import (
    VAE,
    ELBOTerms,
    elbo,
    gaussian_kl,
    iwae_log_likelihood,
    kl_per_dimension,
    reparameterize,
    train_vae,
)

torch.set_num_threads(1)


def _binary_data(n=64, d=12, seed=0):
    """Two noisy binary prototypes: an easy problem a small VAE learns in a few epochs."""
    g = torch.Generator().manual_seed(seed)
    protos = (torch.rand(2, d, generator=g) > 0.5).float()  # (2, d)
    labels = torch.randint(0, 2, (n,), generator=g)  # (n,)
    flips = (torch.rand(n, d, generator=g) < 0.05).float()  # (n, d)
    return (protos[labels] + flips) % 2  # (n, d)


# --- closed forms ---------------------------------------------------------------------------------

def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(7, 3, generator=g, dtype=torch.float64)
    logvar = torch.randn(7, 3, generator=g, dtype=torch.float64)
    ref = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    got = gaussian_kl(mu, logvar)
    assert got.shape == (7,)
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-12)


def test_gaussian_kl_is_zero_at_the_prior_and_hand_checked():
    assert gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4)).abs().max() < 1e-7
    # mu = 1, sigma^2 = e: 0.5 * (1 + e - 1 - 1) = (e - 1) / 2 per dimension
    got = gaussian_kl(torch.ones(1, 2), torch.ones(1, 2))
    assert abs(got.item() - (math.e - 1.0)) < 1e-6


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_elbo_terms_match_torch_distributions(likelihood):
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(5, 6, generator=g, dtype=torch.float64) > 0.5).double()
    out = torch.randn(5, 6, generator=g, dtype=torch.float64)
    mu = torch.randn(5, 2, generator=g, dtype=torch.float64)
    logvar = torch.randn(5, 2, generator=g, dtype=torch.float64)
    terms = elbo(x, out, mu, logvar, likelihood=likelihood, beta=0.5)
    assert isinstance(terms, ELBOTerms)
    dist = Bernoulli(logits=out) if likelihood == "bernoulli" else Normal(out, 1.0)
    ref_rec = dist.log_prob(x).sum(-1)
    ref_kl = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(terms.reconstruction, ref_rec, rtol=0, atol=1e-10)
    torch.testing.assert_close(terms.kl, ref_kl, rtol=0, atol=1e-10)
    torch.testing.assert_close(terms.elbo, ref_rec - 0.5 * ref_kl, rtol=0, atol=1e-10)


def test_elbo_hand_example():
    # logits 0 -> p = 1/2 for each of 2 pixels; q = prior -> KL = 0; ELBO = 2 log(1/2)
    terms = elbo(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2), torch.zeros(1, 3), torch.zeros(1, 3))
    assert abs(terms.elbo.item() - 2 * math.log(0.5)) < 1e-6
    assert abs(terms.kl.item()) < 1e-7


def test_reparameterize_gradients_flow_to_mu_and_logvar():
    mu = torch.tensor([[0.5, -1.0]], requires_grad=True)
    logvar = torch.tensor([[0.2, -0.4]], requires_grad=True)
    z = reparameterize(mu, logvar, seed=3)
    z.sum().backward()
    eps = (z.detach() - mu.detach()) / torch.exp(0.5 * logvar.detach())
    torch.testing.assert_close(mu.grad, torch.ones(1, 2))
    # dz/dlogvar = 0.5 * exp(logvar / 2) * eps
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


def test_reparameterize_moments_and_seed():
    mu, logvar = torch.full((20000, 1), 2.0), torch.full((20000, 1), math.log(0.25))
    z = reparameterize(mu, logvar, seed=0)
    assert abs(z.mean().item() - 2.0) < 0.02  # standard error 0.5 / sqrt(20000) = 0.0035
    assert abs(z.std().item() - 0.5) < 0.02
    torch.testing.assert_close(reparameterize(mu, logvar, seed=0), z, rtol=0, atol=0)


# --- IWAE -----------------------------------------------------------------------------------------

def test_iwae_bounds_the_elbo_and_matches_it_at_k_1():
    torch.manual_seed(0)
    model = VAE(12, latent_dim=2, hidden_dims=(16,))
    x = _binary_data(n=32)
    reps = 400
    with torch.no_grad():
        g = torch.Generator().manual_seed(0)
        elbos = torch.stack([elbo(x, *model(x, seed=g)).elbo for _ in range(reps)])  # (reps, B)
        k1 = torch.stack([iwae_log_likelihood(model, x, k=1, seed=g) for _ in range(reps)])
    # k = 1: the IWAE estimate has the ELBO's expectation (it uses a sampled instead of a closed-form KL)
    diff = (k1.mean(0) - elbos.mean(0)).mean().item()
    se = math.sqrt((k1.var(0).mean() / reps).item())
    assert abs(diff) < 5 * se + 1e-3
    k10 = iwae_log_likelihood(model, x, k=10, seed=1).mean().item()
    k500 = iwae_log_likelihood(model, x, k=500, seed=2).mean().item()
    assert k10 > elbos.mean().item() + 0.01
    assert k500 > k10 - 0.01
    assert iwae_log_likelihood(model, x, k=500, seed=2).shape == (32,)


# --- training -------------------------------------------------------------------------------------

def test_train_vae_improves_the_elbo_and_records_history():
    torch.manual_seed(0)
    x = _binary_data()
    model = VAE(12, latent_dim=2, hidden_dims=(32,))
    hist = train_vae(model, x, epochs=30, batch_size=16, lr=3e-3, validation=x[:16], progress=False, seed=0)
    assert list(hist) == ["epoch", "loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl",
                          "seconds"]
    assert len(hist.loss) == len(hist.val_loss) == len(hist["seconds"]) == 30
    assert hist.loss[-1] < hist.loss[0] - 2.0  # nats per sample
    assert min(hist.reconstruction) > 0 and min(hist.kl) >= 0  # -E[log p(x|z)] of binary data, KL
    np.testing.assert_allclose(np.array(hist.loss), np.array(hist.reconstruction) + np.array(hist.kl), atol=1e-4)
    np.testing.assert_allclose(np.array(hist.val_loss), np.array(hist.val_reconstruction) + np.array(hist.val_kl),
                               atol=1e-4)
    assert model.sample(5, seed=0).shape == (5, 12)


def test_beta_weights_the_kl_in_the_logged_loss():
    torch.manual_seed(0)
    hist = train_vae(VAE(12, latent_dim=2, hidden_dims=(8,)), _binary_data(), epochs=3, beta=2.5,
                     validation=_binary_data(seed=1), progress=False, seed=0)
    np.testing.assert_allclose(hist.loss, np.array(hist.reconstruction) + 2.5 * np.array(hist.kl), atol=1e-4)
    np.testing.assert_allclose(hist.val_loss, np.array(hist.val_reconstruction) + 2.5 * np.array(hist.val_kl),
                               atol=1e-4)


def test_train_vae_same_seed_same_numbers_and_dataloader():
    x = _binary_data()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = VAE(12, latent_dim=2, hidden_dims=(8,))
        runs.append(train_vae(model, x, epochs=3, batch_size=16, progress=False, seed=5).loss)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.zeros(len(x))),
                                         batch_size=16)
    hist = train_vae(VAE(12, latent_dim=2, hidden_dims=(8,)), loader, epochs=2, validation=loader, progress=False)
    assert len(hist.loss) == len(hist.val_loss) == 2


def test_train_vae_takes_float64_numpy_data():
    """The issue's example: Dataset.X is float64 NumPy; a float32 model trains on it and gives the same numbers."""
    x = _binary_data()
    runs = []
    for data in (x, x.double().numpy()):
        torch.manual_seed(0)
        model = VAE(12, latent_dim=2, hidden_dims=(8,))
        runs.append(train_vae(model, data, epochs=2, batch_size=16, progress=False, seed=1).loss)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)


def test_train_vae_device_follows_the_model():
    model = VAE(12, latent_dim=2, hidden_dims=(8,))
    train_vae(model, _binary_data(), epochs=1, progress=False, seed=0)
    assert next(model.parameters()).device.type == "cpu"
    train_vae(model, _binary_data(), epochs=1, device="cpu", progress=False, seed=0)
    if torch.cuda.is_available():
        train_vae(model, _binary_data(), epochs=1, device="cuda", progress=False, seed=0)
        assert next(model.parameters()).device.type == "cuda"
        assert iwae_log_likelihood(model, _binary_data(n=4), k=3, seed=0).device.type == "cuda"


# --- sampling, per-dimension KL -------------------------------------------------------------------

def test_sample_means_and_actual_samples():
    torch.manual_seed(0)
    model = VAE(12, latent_dim=2, hidden_dims=(8,))
    means = model.sample(4000, seed=3)  # (4000, 12) pixel probabilities
    draws = model.sample(4000, seed=3, mean=False)  # (4000, 12) in {0, 1}
    assert ((means > 0) & (means < 1)).all()
    assert set(torch.unique(draws).tolist()) <= {0.0, 1.0}
    # same seed, same z: the draws are Bernoulli(means), so their average matches; se <= 0.5 / sqrt(4000)
    assert (draws.mean(0) - means.mean(0)).abs().max() < 0.04
    with torch.no_grad():
        z = torch.randn(4000, 2, generator=torch.Generator().manual_seed(3))
        torch.testing.assert_close(means, torch.sigmoid(model.decode(z)))
    gauss = VAE(3, latent_dim=2, hidden_dims=(8,), likelihood="gaussian")
    noise = gauss.sample(4000, seed=0, mean=False) - gauss.sample(4000, seed=0)
    assert abs(noise.std().item() - 1.0) < 0.05  # unit-variance Gaussian around the means


def test_kl_per_dimension_sums_to_the_batch_mean_kl():
    g = torch.Generator().manual_seed(4)
    mu, logvar = torch.randn(50, 3, generator=g, dtype=torch.float64), torch.randn(50, 3, generator=g,
                                                                                 dtype=torch.float64)
    per_dim = kl_per_dimension(mu, logvar)
    assert per_dim.shape == (3,) and (per_dim >= 0).all()
    torch.testing.assert_close(per_dim.sum(), gaussian_kl(mu, logvar).mean(), rtol=0, atol=1e-12)
    ref = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).mean(0)
    torch.testing.assert_close(per_dim, ref, rtol=0, atol=1e-12)
    # a dimension that copies the prior carries nothing
    mu[:, 1], logvar[:, 1] = 0.0, 0.0
    assert abs(kl_per_dimension(mu, logvar)[1].item()) < 1e-12


def test_loss_terms_are_the_negative_elbo():
    torch.manual_seed(0)
    model, x = VAE(12, latent_dim=2, hidden_dims=(8,)), _binary_data(n=8)
    terms = model.loss_terms(x, beta=2.0, seed=1)
    ref = elbo(x, *model(x, seed=1), beta=2.0)
    torch.testing.assert_close(terms["loss"], -ref.elbo)
    torch.testing.assert_close(terms["reconstruction"], -ref.reconstruction)
    torch.testing.assert_close(terms["kl"], ref.kl)


# --- bad input ------------------------------------------------------------------------------------

def test_bad_input_raises_clear_errors():
    model = VAE(12, latent_dim=2, hidden_dims=(8,))
    x = _binary_data()
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        train_vae(model, x, epochs=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        train_vae(model, x, epochs=1, batch_size=-4)
    with pytest.raises(ValueError, match=r"data must have 12 columns.*\(64, 5\)"):
        train_vae(model, x[:, :5], epochs=1)
    bad = x.clone()
    bad[3, 4] = float("nan")
    with pytest.raises(ValueError, match="data must hold finite numbers.*index \\(3, 4\\)"):
        train_vae(model, bad, epochs=1)
    with pytest.raises(ValueError, match="mu and logvar must have the same shape"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="x and decoder_output must have the same shape"):
        elbo(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2, 1), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="likelihood must be one of 'bernoulli', 'gaussian'"):
        elbo(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 1), torch.zeros(2, 1), likelihood="poisson")
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        elbo(torch.full((2, 3), 3.0), torch.zeros(2, 3), torch.zeros(2, 1), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        iwae_log_likelihood(model, x, k=0)
    with pytest.raises(TypeError, match="seed must be an int, a torch.Generator or None"):
        train_vae(model, x, epochs=1, seed=1.5)
    with pytest.raises(TypeError, match="seed must be an int, a torch.Generator or None"):
        model.sample(3, seed=np.random.default_rng(0))
    with pytest.raises(ValueError, match="schedule must be one of 'cosine', 'constant'"):
        train_vae(model, x, epochs=1, schedule="linear")
    with pytest.raises(ValueError, match=r"validation must have 12 columns"):
        train_vae(model, x, epochs=1, validation=x[:, :3])


def test_pick_beta_takes_lowest_rate_within_budget():
    from course_utils.vae import pick_beta

    sweep = [{"beta": 4.0, "distortion": 30.0, "rate": 0.5}, {"beta": 0.5, "distortion": 12.0, "rate": 9.0},
             {"beta": 2.0, "distortion": 21.0, "rate": 2.0}, {"beta": 3.0, "distortion": 20.0, "rate": 2.5}]
    assert pick_beta(sweep, 20.0) == 3.0
    assert pick_beta(sweep, 21.0) == 2.0
    assert pick_beta(sweep, 100.0) == 4.0
    assert pick_beta(sweep, 5.0) is None
    assert pick_beta([], 1.0) is None
