"""Tests for course_utils.style: the Gram matrix, the two losses, the random extractor, the transfer loop."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import style

torch.set_num_threads(1)


def _rand(*shape, seed=0, dtype=torch.float64):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# --- gram_matrix ---------------------------------------------------------------------------------------

def test_gram_matrix_matches_a_loop_over_pixels():
    f = _rand(2, 3, 2, 4)  # (B, C, H, W)
    G = style.gram_matrix(f)
    assert G.shape == (2, 3, 3)
    ref = torch.zeros(2, 3, 3, dtype=torch.float64)
    for b in range(2):
        for i in range(3):
            for j in range(3):
                ref[b, i, j] = sum(f[b, i, h, w] * f[b, j, h, w] for h in range(2) for w in range(4)) / 8
    torch.testing.assert_close(G, ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(G, torch.einsum("bchw,bdhw->bcd", f, f) / 8, rtol=0, atol=1e-12)


def test_gram_matrix_worked_example():
    # one image, 2 channels on 1 x 2 pixels: F = [[1, 2], [3, 4]], G = F F^T / 2
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]], dtype=torch.float64)  # (1, 2, 1, 2)
    torch.testing.assert_close(style.gram_matrix(f), torch.tensor([[[2.5, 5.5], [5.5, 12.5]]],
                                                                  dtype=torch.float64), rtol=0, atol=1e-12)


def test_gram_matrix_ignores_where_pixels_are_and_is_symmetric():
    f = _rand(1, 4, 5, 6)
    perm = torch.randperm(30, generator=torch.Generator().manual_seed(1))
    shuffled = f.reshape(1, 4, 30)[:, :, perm].reshape(1, 4, 5, 6)
    assert (shuffled - f).abs().max() > 0.1
    G = style.gram_matrix(f)
    torch.testing.assert_close(style.gram_matrix(shuffled), G, rtol=0, atol=1e-12)
    torch.testing.assert_close(G, G.transpose(1, 2), rtol=0, atol=0)


def test_gram_matrix_does_not_grow_with_the_image():
    tile = _rand(1, 3, 4, 4)
    torch.testing.assert_close(style.gram_matrix(tile.repeat(1, 1, 3, 2)), style.gram_matrix(tile),
                               rtol=0, atol=1e-12)


def test_gram_matrix_refuses_3d_input():
    with pytest.raises(ValueError, match=r"features must be a 4-D tensor.*features\[None\]"):
        style.gram_matrix(_rand(3, 4, 4))


# --- the losses ----------------------------------------------------------------------------------------

def test_style_loss_is_zero_for_identical_features_and_symmetric():
    a = [_rand(1, 4, 6, 6, seed=0), _rand(1, 8, 3, 3, seed=1)]
    b = [_rand(1, 4, 5, 7, seed=2), _rand(1, 8, 2, 4, seed=3)]  # other sizes are fine
    assert abs(float(style.style_loss(a, a))) < 1e-15
    ab, ba = float(style.style_loss(a, b)), float(style.style_loss(b, a))
    assert ab > 1e-4
    assert abs(ab - ba) < 1e-14


def test_style_loss_matches_its_formula():
    a, b = [_rand(1, 3, 4, 4, seed=0), _rand(1, 5, 2, 2, seed=1)], [_rand(1, 3, 4, 4, seed=2), _rand(1, 5, 2, 2, seed=3)]
    ref = sum(w * ((style.gram_matrix(x) - style.gram_matrix(y)) ** 2).mean()
              for w, x, y in zip((0.25, 0.75), a, b))
    assert abs(float(style.style_loss(a, b, weights=(0.25, 0.75))) - float(ref)) < 1e-14
    default = sum(((style.gram_matrix(x) - style.gram_matrix(y)) ** 2).mean() / 2 for x, y in zip(a, b))
    assert abs(float(style.style_loss(a, b)) - float(default)) < 1e-14


def test_content_loss_is_the_mean_squared_error():
    a, b = _rand(2, 3, 4, 5, seed=0), _rand(2, 3, 4, 5, seed=1)
    assert abs(float(style.content_loss(a, b)) - float(F.mse_loss(a, b))) < 1e-14
    assert abs(float(style.content_loss(a, b)) - float(((a - b) ** 2).sum() / a.numel())) < 1e-14
    assert float(style.content_loss(a, a)) == 0.0


def test_loss_errors_name_the_mismatch():
    with pytest.raises(ValueError, match=r"layer 0: .*same\s+number of channels C .*\(1, 4, 3, 3\) and \(1, 5, 3, 3\)"):
        style.style_loss(_rand(1, 4, 3, 3), _rand(1, 5, 3, 3))
    with pytest.raises(ValueError, match="same number of layers"):
        style.style_loss([_rand(1, 4, 3, 3)], [_rand(1, 4, 3, 3)] * 2)
    with pytest.raises(ValueError, match="one weight per layer"):
        style.style_loss(_rand(1, 4, 3, 3), _rand(1, 4, 3, 3), weights=(1.0, 2.0))
    with pytest.raises(ValueError, match="same shape"):
        style.content_loss(_rand(1, 4, 3, 3), _rand(1, 4, 3, 4))


# --- the extractor -------------------------------------------------------------------------------------

def test_extractor_is_deterministic_for_a_seed_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    x = _rand(1, 3, 20, 20, dtype=torch.float32)
    a, b, c = (style.RandomFeatures(n_scales=3, seed=s) for s in (0, 0, 1))
    fa, fb, fc = a(x), b(x), c(x)
    assert [tuple(f.shape) for f in fa] == [(1, 32, 20, 20), (1, 64, 10, 10), (1, 128, 5, 5)]
    for u, v in zip(fa, fb):
        torch.testing.assert_close(u, v, rtol=0, atol=0)
    assert (fa[0] - fc[0]).abs().max() > 1e-3  # another seed, other filters
    assert list(dict(a.named_parameters())) == []  # fixed filters: nothing to train
    assert torch.equal(torch.random.get_rng_state(), state)


def test_extractor_receptive_field():
    # conv 3 (r = 3), then per extra scale: pool 2 (+jump) and conv 3 (+2 jump), the jump doubling
    assert [style.RandomFeatures(n_scales=n, seed=0).receptive_field for n in (1, 2, 3, 4)] == [3, 8, 18, 38]
    # numerically: a change in one input pixel reaches exactly receptive_field columns of the coarsest input
    net = style.RandomFeatures(n_scales=2, channels=4, seed=0)
    x = torch.zeros(1, 3, 32, 32, requires_grad=True)
    net(x)[-1][0, :, 8, 8].sum().backward()
    cols = torch.nonzero(x.grad.abs().sum((0, 1, 2)) > 0).flatten()
    assert int(cols.max() - cols.min() + 1) == net.receptive_field


# --- transfer ------------------------------------------------------------------------------------------

def _images():
    g = torch.Generator().manual_seed(0)
    content = torch.rand(24, 24, 3, generator=g).numpy()
    return content, style.draw_texture("checker", 24, period=6)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_transfer_lowers_the_losses_from_their_start(optimizer):
    content, texture = _images()
    net = style.RandomFeatures(n_scales=2, channels=(16, 32), seed=0)
    img, h = style.transfer(content, texture, steps=12, extractor=net, content_layers=(1,), optimizer=optimizer,
                            seed=0, progress=False)
    assert img.shape == (24, 24, 3) and img.dtype == np.float32
    assert 0.0 <= img.min() and img.max() <= 1.0
    assert h.step == list(range(13)) and list(h)[:4] == ["step", "loss", "content_loss", "style_loss"]
    assert h.loss[-1] < 0.7 * h.loss[0]
    assert h.style_loss[-1] < 0.7 * h.style_loss[0]
    # from the content image, content loss starts at (almost) 0; from noise it must fall
    _, hn = style.transfer(content, texture, steps=12, extractor=net, content_layers=(1,), style_weight=0.0,
                           init="noise", optimizer=optimizer, seed=0, progress=False)
    assert hn.content_loss[-1] < 0.7 * hn.content_loss[0]


def test_transfer_history_matches_the_losses_of_the_result():
    content, texture = _images()
    net = style.RandomFeatures(n_scales=2, channels=8, seed=0)
    img, h = style.transfer(torch.from_numpy(content), texture, steps=3, extractor=net, content_layers=(1,),
                            seed=0, progress=False)
    assert isinstance(img, torch.Tensor) and img.shape == (24, 24, 3)
    x, c = style.image_to_tensor(img), style.image_to_tensor(content)
    fx, fc, fs = net(x), net(c), net(style.image_to_tensor(texture))
    assert abs(float(style.style_loss(fx, fs)) - h.style_loss[-1]) < 1e-6 * max(1.0, h.style_loss[0])
    assert abs(float(style.content_loss(fx[1], fc[1])) - h.content_loss[-1]) < 1e-6


def test_transfer_repeats_for_a_seed_and_leaves_global_rng_alone():
    content, texture = _images()
    state = torch.random.get_rng_state()
    kw = dict(steps=2, init="noise", optimizer="adam", progress=False)
    a, _ = style.transfer(content, texture, extractor=style.RandomFeatures(2, seed=3), content_layers=(1,), seed=5, **kw)
    b, _ = style.transfer(content, texture, extractor=style.RandomFeatures(2, seed=3), content_layers=(1,), seed=5, **kw)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("bad, exc, match", [
    (np.zeros((24, 24, 4)), ValueError, r"content must be an RGB image of shape \(H, W, 3\).*alpha"),
    (np.zeros((3, 24, 24)), ValueError, "channels-first"),
    (np.zeros((24, 24)), ValueError, "grey image"),
    (np.zeros((24, 24, 3), dtype=np.uint8), TypeError, r"content must hold floats.*uint8.*content / 255"),
    (np.full((24, 24, 3), 255.0), ValueError, r"content must hold values in \[0, 1\].*255.*content / 255"),
    (np.full((24, 24, 3), -0.2), ValueError, r"values in \[0, 1\].*np.clip"),
    (np.full((24, 24, 3), np.nan), ValueError, "finite"),
    (np.zeros((10, 40, 3)), ValueError, r"content is 10 x 40 pixels .* needs at least 18 x 18.*n_scales=2"),
])
def test_transfer_bad_content(bad, exc, match):
    with pytest.raises(exc, match=match):
        style.transfer(bad, style.draw_texture(size=24), steps=1, extractor=style.RandomFeatures(3, seed=0),
                       progress=False)


def test_transfer_bad_style_and_settings():
    content = np.zeros((24, 24, 3))
    net = style.RandomFeatures(3, seed=0)
    with pytest.raises(ValueError, match=r"style is 12 x 12 pixels"):
        style.transfer(content, np.zeros((12, 12, 3)), steps=1, extractor=net, progress=False)
    with pytest.raises(ValueError, match=r"style must be an RGB image.*\(24, 24, 1\)"):
        style.transfer(content, np.zeros((24, 24, 1)), steps=1, extractor=net, progress=False)
    with pytest.raises(ValueError, match=r"content_layers must be .* in 0..2 \(got \[3\]\)"):
        style.transfer(content, content, steps=1, extractor=net, content_layers=(3,), progress=False)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        style.transfer(content, content, steps=1, extractor=net, optimizer="sgd", progress=False)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        style.transfer(content, content, steps=0, extractor=net, progress=False)
    with pytest.raises(ValueError, match="style_weight must be a finite number >= 0"):
        style.transfer(content, content, steps=1, extractor=net, style_weight=-1.0, progress=False)


def test_draw_texture():
    img = style.draw_texture("stripes", 16, period=4)
    assert img.shape == (16, 16, 3) and img.dtype == np.float32
    assert len(np.unique(img.reshape(-1, 3), axis=0)) == 2
    with pytest.raises(ValueError, match="kind must be one of"):
        style.draw_texture("swirls")


def test_every_pixel_reaches_every_scale_when_the_side_is_not_a_multiple_of_the_pooling():
    # 85 rows (china.jpg at 85 x 128): floor pooling dropped row 84 from scales 1-3, which left it to scale 0's
    # style term alone and painted a band of style colour along the bottom of transferred images
    net = style.RandomFeatures(n_scales=4, channels=4, seed=0)
    x = torch.rand(1, 3, 85, 43, generator=torch.Generator().manual_seed(0), requires_grad=True)
    feats = net(x)
    assert [tuple(f.shape[-2:]) for f in feats] == [(85, 43), (43, 22), (22, 11), (11, 6)]
    for s, f in enumerate(feats):
        (grad,) = torch.autograd.grad(f.sum(), x, retain_graph=True)
        rows, cols = grad.abs().sum((0, 1, 3)), grad.abs().sum((0, 1, 2))  # (85,), (43,)
        assert bool((rows > 0).all()) and bool((cols > 0).all()), f"scale {s} misses some border pixels"
    # an odd-sized pooling window at the border averages the pixels it has (no zeros counted in)
    const = torch.full((1, 3, 21, 21), 0.7)
    torch.testing.assert_close(net(const)[-1][..., -1, -1], net(const)[-1][..., 0, 0], rtol=0, atol=1e-6)
