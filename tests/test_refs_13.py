"""Notebook 13's exercise checks: they accept other correct solutions and reject the common mistakes."""

import numpy as np
import torch
from _quiet import run_check as _run

from course_utils import exercises as ex
from course_utils import style
from course_utils._vae_conditional import ConditionalVAE

torch.set_num_threads(1)


# --- exercise 1: the Gram matrix -------------------------------------------------------------------

GRAM_CASES = [ex.feature_case((1, 3, 4, 5), seed=0, label="a"), ex.feature_case((3, 2, 6, 2), seed=1, label="b"),
              ex.feature_case((2, 5, 1, 7), seed=2, label="c"), ex.feature_case((1, 4, 9, 9), seed=3, label="d"),
              ex.feature_case((2, 3, 3, 4), seed=4, label="e", requires_grad=True)]


def _check_gram(fn):
    wrapped = ex.forbid_calls(fn, ["gram_matrix", "style_loss"], rule="tensor operations")
    return _run(lambda f: ex.check(f, style.gram_matrix, cases=GRAM_CASES, compare_fn=ex.compare_differentiable,
                                   name="my_gram_matrix", hint="h"), wrapped)


def gram_einsum(features):
    H, W = features.shape[-2:]
    return torch.einsum("bihw,bjhw->bij", features, features) / (H * W)


def gram_loop(features):
    out = []
    for f in features:  # (C, H, W)
        flat = f.flatten(1)  # (C, HW)
        out.append(flat @ flat.T / flat.shape[1])
    return torch.stack(out)


def gram_summed(features):  # mistake: no normalisation
    B, C = features.shape[:2]
    flat = features.reshape(B, C, -1)
    return flat @ flat.transpose(1, 2)


def gram_chw(features):  # mistake: divided by C H W
    B, C, H, W = features.shape
    flat = features.reshape(B, C, -1)
    return flat @ flat.transpose(1, 2) / (C * H * W)


def gram_positions(features):  # mistake: F^T F, positions by positions
    B, C, H, W = features.shape
    flat = features.reshape(B, C, -1)
    return flat.transpose(1, 2) @ flat / (H * W)


def gram_batch_mixed(features):  # mistake: the batch flattened into the positions
    B, C, H, W = features.shape
    flat = features.transpose(0, 1).reshape(C, -1)  # (C, B H W)
    return (flat @ flat.T / (B * H * W)).expand(B, C, C)


def gram_numpy(features):  # mistake: right numbers, but NumPy: no gradient for the style loss
    f = features.detach().numpy()
    B, C, H, W = f.shape
    flat = f.reshape(B, C, -1)
    return flat @ flat.transpose(0, 2, 1) / (H * W)


def gram_library(features):  # refused
    return style.gram_matrix(features)


def test_gram_check_accepts_einsum_and_loops():
    for fn in (gram_einsum, gram_loop):
        ok, out = _check_gram(fn)
        assert ok, (fn.__name__, out)


def test_gram_check_rejects_the_common_mistakes():
    for fn in (gram_summed, gram_chw, gram_positions, gram_batch_mixed):
        ok, out = _check_gram(fn)
        assert not ok, fn.__name__
        assert "Hint" in out or "wrong" in out
    ok, out = _check_gram(gram_library)
    assert not ok and "gram_matrix" in out
    ok, out = _check_gram(gram_numpy)
    assert not ok and "carries no gradient" in out, out


# --- exercise 2: the style loss ----------------------------------------------------------------------

LOSS_CASES = [ex.style_loss_case([(1, 4, 6, 6)], [(1, 4, 6, 6)], seed=0, label="a"),
              ex.style_loss_case([(1, 3, 8, 8), (1, 6, 4, 4)], [(1, 3, 5, 7), (1, 6, 3, 2)], seed=1, label="b"),
              ex.style_loss_case([(1, 2, 5, 5), (1, 4, 3, 3), (1, 8, 2, 2)],
                                 [(1, 2, 6, 6), (1, 4, 3, 3), (1, 8, 1, 3)], seed=2, label="c")]


def _check_loss(fn):
    wrapped = ex.forbid_calls(fn, ["style_loss"], rule="from Gram matrices")
    return _run(lambda f: ex.check(f, style.style_loss, cases=LOSS_CASES, compare_fn=ex.compare_scalar_loss,
                                   name="my_style_loss", hint="h"), wrapped)


def loss_loop(features, targets):
    total = 0.0
    for f, t in zip(features, targets):
        total = total + ((gram_einsum(f) - gram_einsum(t)) ** 2).mean() / len(features)
    return total


def loss_mse(features, targets):
    return sum(torch.nn.functional.mse_loss(style.gram_matrix(f), style.gram_matrix(t))
               for f, t in zip(features, targets)) / len(features)


def loss_summed_layers(features, targets):  # mistake: sum over layers
    return sum(((style.gram_matrix(f) - style.gram_matrix(t)) ** 2).mean() for f, t in zip(features, targets))


def loss_summed_entries(features, targets):  # mistake: sum over the C x C entries
    return sum(((style.gram_matrix(f) - style.gram_matrix(t)) ** 2).sum()
               for f, t in zip(features, targets)) / len(features)


def loss_on_features(features, targets):  # mistake: compares the maps, not their Gram matrices
    return sum(((f - t) ** 2).mean() for f, t in zip(features, targets)) / len(features)


def loss_as_float(features, targets):  # mistake: a Python number, no gradient
    return loss_mse(features, targets).detach().item()


def test_style_loss_check_accepts_loops_and_library_mse():
    for fn in (loss_loop, loss_mse):
        ok, out = _check_loss(fn)
        assert ok, (fn.__name__, out)


def test_style_loss_check_rejects_the_common_mistakes():
    for fn in (loss_summed_layers, loss_summed_entries, loss_on_features, loss_as_float):
        ok, out = _check_loss(fn)
        assert not ok, fn.__name__
    _, out = _check_loss(loss_as_float)
    assert "0-d torch tensor" in out


# --- exercise 3: the swap --------------------------------------------------------------------------------

def _trained_like_case():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        model = ConditionalVAE(64, 10, latent_dim=2, hidden_dims=(16,)).eval()
    x = torch.rand(6, 64, generator=torch.Generator().manual_seed(0))
    y = np.arange(6)
    return ex.case(model, x, y, (y + 3) % 10, label="c")


SWAP_CASES = [ex.swap_case(seed=0, n=5, label="a"), ex.swap_case(seed=1, n=3, label="b"), _trained_like_case()]


def _check_swap(fn):
    return _run(lambda f: ex.check(f, ex.reference_style_swap, cases=SWAP_CASES, rtol=1e-5, atol=1e-6,
                                   name="my_style_swap", hint="h"), fn)


def swap_by_hand(model, x, y_source, y_target):
    mu = model.encode(x, y_source)[0].detach()
    return torch.sigmoid(model.decode(mu, y_target)).detach()


def swap_in_loop(model, x, y_source, y_target):
    rows = [model.decoder_mean(model.encode(x[i:i + 1], [y_source[i]])[0], [y_target[i]]) for i in range(len(x))]
    return torch.cat(rows).detach()


def swap_target_encoding(model, x, y_source, y_target):  # mistake: encodes with the new label
    return model.decoder_mean(model.encode(x, y_target)[0], y_target).detach()


def swap_sampled(model, x, y_source, y_target):  # mistake: a random draw instead of the mean
    mu, logvar = model.encode(x, y_source)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))
    return model.decoder_mean(z, y_target).detach()


def swap_logits(model, x, y_source, y_target):  # mistake: logits, not probabilities
    return model.decode(model.encode(x, y_source)[0], y_target).detach()


def swap_unchanged(model, x, y_source, y_target):  # mistake: decodes with the source label
    return model.decoder_mean(model.encode(x, y_source)[0], y_source).detach()


def test_swap_check_accepts_other_correct_solutions():
    for fn in (swap_by_hand, swap_in_loop):
        ok, out = _check_swap(fn)
        assert ok, (fn.__name__, out)


def test_swap_check_rejects_the_common_mistakes():
    for fn in (swap_target_encoding, swap_sampled, swap_logits, swap_unchanged):
        ok, out = _check_swap(fn)
        assert not ok, fn.__name__


def test_swap_case_keeps_the_global_rng_and_never_keeps_the_label():
    state = torch.random.get_rng_state()
    c = ex.swap_case(seed=3, n=50, label="x")
    assert torch.equal(torch.random.get_rng_state(), state)
    _, x, y_source, y_target = c.args
    assert x.shape == (50, 64) and bool(((y_source != y_target)).all())
    assert set(ex.__all__) >= {"feature_case", "style_loss_case", "reference_style_swap", "swap_case"}
