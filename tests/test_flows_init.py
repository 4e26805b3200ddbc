"""Tests for the starting point of a flow's learned mixing maps: InvertibleLinear(init=...) and
RealNVP(init_rotation=...)."""

import math

import pytest
import torch

from course_utils.flows import InvertibleLinear, RealNVP

torch.set_num_threads(1)


def _rotation(degrees):
    a = math.radians(degrees)
    return torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


@pytest.mark.parametrize("matrix", [_rotation(60.0), torch.tensor([[0.0, 2.0], [-1.0, 0.5]]),
                                    torch.tensor([[2.0, 0.3, 0.0], [0.1, -1.0, 0.4], [0.0, 0.2, 0.7]])])
def test_invertible_linear_starts_at_the_given_matrix(matrix):
    layer = InvertibleLinear(len(matrix), init=matrix)
    torch.testing.assert_close(layer.weight(), matrix, rtol=0, atol=1e-6)
    x = torch.randn(5, len(matrix), generator=torch.Generator().manual_seed(0))
    z, log_det = layer(x)
    torch.testing.assert_close(z, x @ matrix.T, rtol=0, atol=1e-5)
    torch.testing.assert_close(log_det, torch.linalg.slogdet(matrix)[1].expand(5), rtol=0, atol=1e-5)
    torch.testing.assert_close(layer.inverse(z), x, rtol=0, atol=1e-5)


def test_invertible_linear_refuses_a_bad_start():
    with pytest.raises(ValueError, match="invertible"):
        InvertibleLinear(2, init=[[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match=r"\(2, 2\) matrix"):
        InvertibleLinear(2, init=torch.eye(3))
    with pytest.raises(ValueError, match="finite"):
        InvertibleLinear(2, init=[[1.0, float("nan")], [0.0, 1.0]])


def test_init_rotation_starts_every_mixer_at_that_rotation():
    flow = RealNVP(2, n_layers=5, hidden_dim=8, mixing="lu", seed=0, init_rotation=60)
    assert len(flow.mixers) == 4
    for mixer in flow.mixers:
        torch.testing.assert_close(mixer.weight(), _rotation(60.0), rtol=0, atol=1e-6)
    # couplings start at the identity, so the whole flow starts as the elementwise map and 4 rotations
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(1))
    z, log_det = flow(x)
    torch.testing.assert_close(z, x @ _rotation(240.0).T, rtol=0, atol=1e-5)
    torch.testing.assert_close(log_det, torch.zeros(6), rtol=0, atol=1e-5)
    torch.testing.assert_close(flow.inverse(z), x, rtol=0, atol=1e-5)


def test_init_rotation_none_is_the_random_start_unchanged():
    torch.manual_seed(0)
    a = RealNVP(2, n_layers=4, hidden_dim=8, mixing="lu", seed=3)
    torch.manual_seed(0)
    b = RealNVP(2, n_layers=4, hidden_dim=8, mixing="lu", seed=3, init_rotation=None)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), name
    assert not torch.allclose(a.mixers[0].weight(), _rotation(60.0), atol=1e-3)


@pytest.mark.parametrize("kwargs, says", [
    (dict(dim=2, mixing="alternate", init_rotation=60), "mixing='lu'"),
    (dict(dim=2, mixing="reflection", init_rotation=60), "mixing='lu'"),
    (dict(dim=3, mixing="lu", init_rotation=60), "dim=2"),
    (dict(dim=2, mixing="lu", init_rotation=float("inf")), "finite angle"),
    (dict(dim=2, mixing="lu", init_rotation="60"), "finite angle"),
])
def test_init_rotation_refuses_what_it_cannot_do(kwargs, says):
    with pytest.raises(ValueError, match=says):
        RealNVP(n_layers=3, hidden_dim=8, **kwargs)
