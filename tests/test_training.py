"""Tests for the training core (course_utils._training) and the one trainer API it gives the three trainers."""

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import _training as tr
from course_utils.flows import FlowHistory, RealNVP, train_flow
from course_utils.gan import Discriminator, GANHistory, Generator, train_gan
from course_utils.vae import VAE, VAEHistory, train_vae

torch.set_num_threads(1)


def _binary(n=48, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, d, generator=g) > 0.5).float()  # (n, d)


def _points(n=64, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 2))  # float64 (n, 2)


# Each trainer on a tiny problem: build(seed) makes the model (global RNG, before any state is compared),
# run(model, data, seed) trains it and returns the history.
TRAINERS = {
    "vae": (lambda: VAE(6, latent_dim=2, hidden_dims=(8,)), _binary,
            lambda m, x, seed: train_vae(m, x, epochs=2, batch_size=16, progress=False, seed=seed)),
    "flow": (lambda: RealNVP(2, n_layers=2, hidden_dim=8, seed=0), _points,
             lambda m, x, seed: train_flow(m, x, epochs=2, batch_size=16, noise_std=0.1, progress=False,
                                           seed=seed)),
    "gan": (lambda: (Generator(2, 2, hidden_dims=(8,)), Discriminator(2, hidden_dims=(8,))), _points,
            lambda m, x, seed: train_gan(*m, x, steps=4, batch_size=16, progress=False, seed=seed,
                                         n_samples=10)),
}


def _fresh(name):
    torch.manual_seed(0)
    build, data, run = TRAINERS[name]
    return build(), data(), run


# --- the one trainer API --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_same_int_seed_same_numbers_none_differs(name):
    model, x, run = _fresh(name)
    a, b = run(copy.deepcopy(model), x, 3).loss, run(copy.deepcopy(model), x, 3).loss
    np.testing.assert_allclose(a, b, rtol=0, atol=0)
    c, d = run(copy.deepcopy(model), x, None).loss, run(copy.deepcopy(model), x, None).loss
    assert max(abs(u - v) for u, v in zip(c, d)) > 1e-9  # fresh, unpredictable randomness each call


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_a_passed_generator_is_consumed(name):
    model, x, run = _fresh(name)
    g = torch.Generator().manual_seed(3)
    first = run(copy.deepcopy(model), x, g).loss
    np.testing.assert_allclose(first, run(copy.deepcopy(model), x, 3).loss, rtol=0, atol=0)
    second = run(copy.deepcopy(model), x, g).loss  # continues the stream: different noise
    assert max(abs(u - v) for u, v in zip(first, second)) > 1e-9


@pytest.mark.parametrize("name", sorted(TRAINERS))
@pytest.mark.parametrize("seed", [0, None])
def test_trainers_leave_the_global_rng_alone(name, seed):
    model, x, run = _fresh(name)
    before = torch.get_rng_state()
    run(model, x, seed)
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_every_history_is_a_mapping_with_loss_index_and_seconds(name):
    model, x, run = _fresh(name)
    history = run(model, x, 0)
    assert isinstance(history, (VAEHistory, FlowHistory, GANHistory))
    assert isinstance(history, tr.TrainingHistory)
    index = "step" if name == "gan" else "epoch"
    assert list(history)[:2] == [index, "loss"] and "seconds" in history
    assert all(math.isfinite(v) for v in history["loss"])
    assert history.loss is history["loss"]
    plain = dict(history)
    assert plain.keys() == history.as_dict().keys() and plain["loss"] == history.loss
    assert history[index] == list(range(1, len(history.loss) + 1))
    assert "val_loss" not in history  # no validation data, no validation columns


@pytest.mark.parametrize("name", ["vae", "flow"])
def test_validation_gives_val_loss(name):
    model, x, run = _fresh(name)
    trainer = train_vae if name == "vae" else train_flow
    history = trainer(model, x, epochs=2, batch_size=16, validation=x[:20], progress=False, seed=0)
    assert len(history.val_loss) == 2 and all(math.isfinite(v) for v in history.val_loss)


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_float64_numpy_data_trains_a_float32_model(name):
    """The issue's failing call: float64 data (Dataset.X) into a float32 model."""
    model, x, run = _fresh(name)
    x64 = np.asarray(x, dtype=np.float64)
    a = run(copy.deepcopy(model), x64, 1).loss
    b = run(copy.deepcopy(model), torch.as_tensor(x64), 1).loss
    c = run(copy.deepcopy(model), torch.as_tensor(x64, dtype=torch.float32), 1).loss
    np.testing.assert_allclose(a, b, rtol=0, atol=0)
    np.testing.assert_allclose(a, c, rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_dataloader_input(name):
    model, x, run = _fresh(name)
    x = torch.as_tensor(x, dtype=torch.float64)  # cast to the model's float32 batch by batch
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.zeros(len(x))), batch_size=16)
    history = run(model, loader, 0)
    assert all(math.isfinite(v) for v in history.loss)


def test_a_float64_model_gets_float64_data():
    torch.manual_seed(0)
    model = VAE(6, latent_dim=2, hidden_dims=(8,)).double()
    x = tr.as_model_tensor(_binary().numpy(), model, "data")
    assert x.dtype == torch.float64
    history = train_vae(model, _binary(), epochs=1, progress=False, seed=0)
    assert next(model.parameters()).dtype == torch.float64 and math.isfinite(history.loss[0])
    assert model.sample(3, seed=0).dtype == torch.float64


# --- the core's pieces ----------------------------------------------------------------------------

def test_device_follows_the_model():
    """On the 'meta' device (no data, any machine): data and noise go where the model is."""
    model = nn.Linear(3, 1).to("meta")
    assert tr.resolve_device(model) == torch.device("meta")
    x = tr.as_model_tensor(np.ones((4, 3)), model, "data")
    assert x.device.type == "meta" and x.dtype == torch.float32
    assert tr.randn((2, 3), tr.make_generator(0), x).device.type == "meta"
    cpu_model = nn.Linear(3, 1)
    assert tr.resolve_device(cpu_model, "meta") == torch.device("meta")
    assert next(cpu_model.parameters()).device.type == "meta"  # moved


def test_noise_is_the_same_whatever_the_target_device_and_dtype():
    a = tr.randn((5, 3), tr.make_generator(1), torch.zeros(1))
    b = tr.randn((5, 3), tr.make_generator(1), torch.zeros(1, dtype=torch.float16))
    assert b.dtype == torch.float16
    torch.testing.assert_close(b.float(), a, rtol=1e-3, atol=1e-3)
    u = tr.rand((1000,), tr.make_generator(2), torch.zeros(1))
    assert 0 <= u.min() and u.max() < 1


def test_make_generator():
    g = torch.Generator().manual_seed(0)
    assert tr.make_generator(g) is g
    x, y = (torch.rand(4, generator=tr.make_generator(7)) for _ in range(2))
    torch.testing.assert_close(x, y, rtol=0, atol=0)
    before = torch.get_rng_state()
    u, v = (torch.rand(4, generator=tr.make_generator(None)) for _ in range(2))
    assert (u - v).abs().max() > 0 and torch.equal(torch.get_rng_state(), before)
    for bad in (True, 1.5, "0", np.random.default_rng(0)):
        with pytest.raises(TypeError, match="seed must be an int, a torch.Generator or None"):
            tr.make_generator(bad)


def test_lr_schedules():
    assert tr.scheduled_lr("constant", 0.1, 7, 10) == 0.1
    values = [tr.scheduled_lr("cosine", 1.0, t, 100) for t in range(101)]
    assert values[0] == pytest.approx(1.0, abs=1e-12) and values[50] == pytest.approx(0.5, abs=1e-12)
    assert values[100] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(values, values[1:]))  # never increases
    with pytest.raises(ValueError, match="schedule must be one of 'cosine', 'constant'"):
        tr.scheduled_lr("step", 1.0, 1, 10)


def test_flow_history_logs_the_cosine_schedule():
    torch.manual_seed(0)
    history = train_flow(RealNVP(2, n_layers=2, hidden_dim=8), _points(), epochs=4, batch_size=16, lr=0.01,
                         progress=False, seed=0)
    steps_per_epoch = 4
    expected = [tr.scheduled_lr("cosine", 0.01, e * steps_per_epoch, 4 * steps_per_epoch) for e in range(4)]
    np.testing.assert_allclose(history.lr, expected, rtol=1e-12)


def test_eval_mode_restores_each_models_mode():
    a, b = nn.Dropout(), nn.Dropout()
    b.eval()
    with tr.eval_mode(a, b):
        assert not a.training and not b.training
    assert a.training and not b.training
    with pytest.raises(RuntimeError):
        with tr.eval_mode(a):
            raise RuntimeError("boom")
    assert a.training


def test_batches_cover_every_row_once():
    data = torch.arange(10.0)[:, None]  # (10, 1)
    seen = torch.cat(list(tr.batches(data, 4, tr.make_generator(0)))).squeeze(1)
    assert sorted(seen.tolist()) == list(range(10))
    sizes = [len(b) for b in tr.batches(data, 4, shuffle=False)]
    assert sizes == [4, 4, 2] and tr.n_batches(data, 4) == 3
    in_order = torch.cat(list(tr.batches(data, 4, shuffle=False))).squeeze(1)
    assert in_order.tolist() == list(range(10))


def test_stream_draws_from_every_kind_of_data():
    model = nn.Linear(2, 1)
    g = tr.make_generator(0)
    rows = torch.arange(20.0).reshape(10, 2)
    draw = tr.stream(rows.double(), 6, g, model)
    x = draw()
    assert x.shape == (6, 2) and x.dtype == torch.float32
    assert all(list(r) in rows.tolist() for r in x.tolist())  # drawn rows of the data
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(rows), batch_size=4)
    draw = tr.stream(loader, 4, g, model)
    sizes = [draw().shape[0] for _ in range(7)]  # cycles: 4, 4, 2, 4, 4, 2, 4
    assert sizes == [4, 4, 2, 4, 4, 2, 4]
    draw = tr.stream(lambda n: np.zeros((n, 2)), 5, g, model, name="sample_real")
    assert draw().shape == (5, 2)
    with pytest.raises(ValueError, match=r"sample_real\(n\) must return n = 5 rows"):
        tr.stream(lambda n: np.zeros((3, 2)), 5, g, model, name="sample_real")()


def test_loader_batches_are_checked():
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(8, 3)), batch_size=4)
    with pytest.raises(ValueError, match=r"the batches of data must have shape \(b, 6\)"):
        train_vae(VAE(6, latent_dim=2, hidden_dims=(8,)), loader, epochs=1, progress=False)


def test_training_history_mapping():
    h = tr.TrainingHistory()
    h.log(epoch=1, loss=2.0)
    h.log(epoch=2, loss=1.5)
    h.append("samples", "snapshot")
    assert list(h) == ["epoch", "loss", "seconds", "samples"] and len(h) == 4
    assert h.loss == [2.0, 1.5] and h["epoch"] == [1, 2] and h.get("val_loss") is None
    assert h["seconds"][1] >= h["seconds"][0] >= 0
    d = h.as_dict()
    d["loss"].append(0.0)
    assert h.loss == [2.0, 1.5]  # as_dict copies
    assert "loss" in h and "val_loss" not in h and dict(h.items())["loss"] == [2.0, 1.5]
    with pytest.raises(KeyError, match="no column 'val_loss'.*columns: epoch, loss"):
        _ = h["val_loss"]
    with pytest.raises(AttributeError, match="no column 'val_loss'"):
        _ = h.val_loss
    assert "TrainingHistory(epoch: 2, loss: 2" in repr(h)


def test_running_means_are_per_sample():
    means = tr.RunningMeans()
    means.add(loss=torch.tensor([1.0, 2.0, 3.0]))
    means.add(loss=torch.tensor([10.0]))
    assert means.means() == {"loss": pytest.approx(4.0, abs=1e-12)}
    assert means.means("val_") == {"val_loss": pytest.approx(4.0, abs=1e-12)}


def test_a_diverging_run_says_so():
    torch.manual_seed(0)
    x = _binary()
    with pytest.raises(ValueError, match=r"training diverged at epoch \d+ \(loss nan\); lower lr"):
        train_vae(VAE(6, latent_dim=2, hidden_dims=(8,)), x, epochs=2, lr=1e30, progress=False, seed=0)
