"""Tests for train_gan's separate learning rates (lr_d, lr_g): two time-scale updates."""

import numpy as np
import pytest
import torch

from course_utils.datasets import ring_of_gaussians
from course_utils.gan import Discriminator, Generator, train_gan

torch.set_num_threads(1)


def _run(steps=5, **options):
    torch.manual_seed(0)
    G, D = Generator(2, 2, hidden_dims=(8,)), Discriminator(2, hidden_dims=(8,))
    before = [p.detach().clone() for p in (*G.parameters(), *D.parameters())]
    rng = np.random.default_rng(0)
    history = train_gan(G, D, lambda n: ring_of_gaussians(n, rng=rng).X, steps=steps, batch_size=16,
                        progress=False, seed=0, **options)
    after = [p.detach() for p in (*G.parameters(), *D.parameters())]
    n_g = len(list(G.parameters()))
    moved = [float((a - b).abs().max()) for a, b in zip(after, before)]
    return history, max(moved[:n_g]), max(moved[n_g:]), after


def test_equal_rates_are_the_single_lr_exactly():
    h1, _, _, w1 = _run(lr=3e-3)
    h2, _, _, w2 = _run(lr=3e-3, lr_d=3e-3, lr_g=3e-3)
    h3, _, _, w3 = _run(lr=1.0, lr_d=3e-3, lr_g=3e-3)  # both given: lr is unused
    assert h1.loss == h2.loss == h3.loss and h1.d_loss == h2.d_loss == h3.d_loss
    for a, b, c in zip(w1, w2, w3):
        assert torch.equal(a, b) and torch.equal(a, c)


@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_each_player_gets_its_own_rate(schedule):
    # Adam's first steps move every weight by about lr, so a tiny rate freezes that player
    _, g_moved, d_moved, _ = _run(lr_d=1e-2, lr_g=1e-9, schedule=schedule)
    assert g_moved < 1e-7 < 1e-3 < d_moved, (g_moved, d_moved)
    _, g_moved, d_moved, _ = _run(lr_d=1e-9, lr_g=1e-2, schedule=schedule)
    assert d_moved < 1e-7 < 1e-3 < g_moved, (g_moved, d_moved)


def test_one_rate_given_the_other_follows_lr():
    _, g_moved, d_moved, _ = _run(lr=1e-9, lr_d=1e-2)
    assert g_moved < 1e-7 < 1e-3 < d_moved
    _, g_moved, d_moved, _ = _run(lr=1e-9, lr_g=1e-2)
    assert d_moved < 1e-7 < 1e-3 < g_moved


@pytest.mark.parametrize("name", ["lr_d", "lr_g"])
def test_bad_rates_name_the_parameter(name):
    with pytest.raises(ValueError, match=name):
        _run(**{name: -1e-3})
    with pytest.raises(ValueError, match=name):
        _run(**{name: 0.0})
