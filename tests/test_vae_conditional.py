"""Tests for the conditional VAE (course_utils._vae_conditional): the ELBO against torch.distributions, the
conditioning, determinism per seed, training, and bad input."""

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from course_utils import _vae_conditional as cv

torch.set_num_threads(1)


def _model(seed=0, **kw):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cv.ConditionalVAE(6, 3, latent_dim=2, hidden_dims=(8,), **kw)


def _data(n=60, d=6, seed=0):
    """Three noisy binary prototypes, one per class: labels that the decoder can use."""
    g = torch.Generator().manual_seed(seed)
    protos = (torch.rand(3, d, generator=g) > 0.5).float()  # (3, d)
    y = torch.arange(n) % 3  # (n,)
    flips = (torch.rand(n, d, generator=g) < 0.05).float()  # (n, d)
    return (protos[y] + flips) % 2, y.numpy()


def test_loss_terms_match_a_hand_computation_with_torch_distributions():
    model = _model(0).double()
    x, y = _data(5)
    x = x.double()
    terms = model.loss_terms(x, y, beta=0.5, seed=3)
    # the same computation by hand: encode with the one-hot label, reparameterise with the same noise, decode
    onehot = torch.nn.functional.one_hot(torch.as_tensor(y), 3).double()  # (5, 3)
    mu, logvar = model.encoder(torch.cat([x, onehot], 1)).chunk(2, -1)  # (5, 2) each
    eps = torch.randn(5, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * eps  # (5, 2)
    logits = model.decoder(torch.cat([z, onehot], 1))  # (5, 6)
    log_px = Bernoulli(logits=logits).log_prob(x).sum(-1)  # (5,)
    kl = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)  # (5,)
    torch.testing.assert_close(terms["reconstruction"], -log_px, rtol=0, atol=1e-10)
    torch.testing.assert_close(terms["kl"], kl, rtol=0, atol=1e-10)
    torch.testing.assert_close(terms["loss"], -log_px + 0.5 * kl, rtol=0, atol=1e-10)


def test_the_label_changes_the_decoding_and_the_code():
    model = _model()
    z = torch.zeros(3, 2)
    out = model.decoder_mean(z, [0, 1, 2]).detach()  # (3, 6)
    assert out.shape == (3, 6) and float(out.min()) >= 0 and float(out.max()) <= 1
    assert (out[0] - out[1]).abs().max() > 1e-4, "another label must give another image for the same z"
    x = torch.rand(2, 6, generator=torch.Generator().manual_seed(0))
    mu_a, _ = model.encode(x, [0, 0])
    mu_b, _ = model.encode(x, [1, 1])
    assert (mu_a - mu_b).abs().max() > 1e-4, "the encoder sees the label too"


def test_training_is_deterministic_per_seed_lowers_the_loss_and_leaves_global_rng_alone():
    x, y = _data()
    state = torch.random.get_rng_state()
    runs = []
    for seed in (0, 0, 1):
        model = _model(0)
        h = cv.train_cvae(model, x, y, epochs=15, batch_size=16, lr=1e-2, validation=(x, y), progress=False,
                          seed=seed)
        runs.append((h, model))
    assert torch.equal(torch.random.get_rng_state(), state)
    (h0, m0), (h1, m1), (h2, _) = runs
    assert h0.loss == h1.loss and h0.loss != h2.loss
    for p, q in zip(m0.parameters(), m1.parameters()):
        assert torch.equal(p, q)
    assert list(h0)[:4] == ["epoch", "loss", "reconstruction", "kl"] and "val_loss" in h0
    assert h0.loss[-1] < 0.8 * h0.loss[0]
    assert not m0.training


def test_sample_draws_from_the_seed_and_keeps_the_labels():
    model = _model()
    a, b = model.sample([0, 1, 2, 2], seed=5), model.sample([0, 1, 2, 2], seed=5)
    assert a.shape == (4, 6)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert (model.sample([0, 1, 2, 2], seed=6) - a).abs().max() > 0


def test_accepts_arrays_and_tensors_alike():
    model = _model()
    x, y = _data(4)
    m1, _ = model.encode(x.numpy().astype(np.float64), y)
    m2, _ = model.encode(x, torch.as_tensor(y))
    torch.testing.assert_close(m1, m2)


@pytest.mark.parametrize("y, match", [
    ([0, 1, 3], r"labels in 0..2 \(got values from 0 to 3\)"),
    ([[1, 0, 0]] * 3, r"1-D array of integer class labels .*not one-hot"),
    ([0.0, 1.0, 2.0], "integer class labels"),
])
def test_bad_labels(y, match):
    with pytest.raises(ValueError, match=match):
        _model().encode(torch.rand(3, 6), y)


def test_bad_training_input():
    x, y = _data(9)
    with pytest.raises(ValueError, match=r"labels of X must have shape \(9,\)"):
        cv.train_cvae(_model(), x, y[:5], epochs=1, progress=False)
    with pytest.raises(ValueError, match="last dimension|columns|6"):
        cv.train_cvae(_model(), torch.rand(9, 5), y, epochs=1, progress=False)
    with pytest.raises(ValueError, match="validation must be a pair"):
        cv.train_cvae(_model(), x, y, epochs=1, validation=x, progress=False)
    with pytest.raises(TypeError, match="ConditionalVAE"):
        cv.train_cvae(torch.nn.Linear(6, 6), x, y, epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        cv.train_cvae(_model(), x, y, epochs=0, progress=False)
    with pytest.raises(ValueError, match="n_classes"):
        cv.ConditionalVAE(6, 1)
