"""Notebook 14's exercise references and checks: alternatives pass, common mistakes fail."""

import copy
import io
import os
import tempfile
import time

import torch
from _quiet import run_check as _run
from torch import nn

from course_utils import exercises as ex

torch.set_num_threads(1)


# --- exercise 1: quantise and measure ----------------------------------------------------------------

Q_CASES = [ex.quantization_case(0, 64, 200, "a"), ex.quantization_case(1, 16, 50, "b")]


def _check_q(fn):
    return _run(lambda f: ex.check(f, ex.reference_quantization_report, cases=Q_CASES, rtol=0.1, atol=1e-6,  # file sizes depend on the archive name
                                   name="my_quantization_report"), fn)


def q_file(model, x, t):  # alternative: sizes via files, in-place quantisation of a copy
    q = copy.deepcopy(model)
    torch.ao.quantization.quantize_dynamic(q, {nn.Linear}, dtype=torch.qint8, inplace=True)
    sizes = []
    with tempfile.TemporaryDirectory() as d:
        for i, m in enumerate((model, q)):
            path = os.path.join(d, f"{i}.pt")
            torch.save(m.state_dict(), path)
            sizes.append(os.path.getsize(path))
    with torch.no_grad():
        return sizes[0] / sizes[1], (model(x, t) - q(x, t)).abs().max().item()


def q_default_spec(model, x, t):  # alternative: the default qconfig_spec (Linear among others)
    q = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model))
    b0, b1 = io.BytesIO(), io.BytesIO()
    torch.save(model.state_dict(), b0)
    torch.save(q.state_dict(), b1)
    with torch.no_grad():
        return b0.tell() / b1.tell(), float(torch.max(torch.abs(model(x, t) - q(x, t))))


def q_inverted(model, x, t):  # mistake: the ratio upside down
    r, e = q_default_spec(model, x, t)
    return 1 / r, e


def q_mean_error(model, x, t):  # mistake: the mean error, not the largest
    r, _ = q_default_spec(model, x, t)
    q = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model))
    with torch.no_grad():
        return r, float((model(x, t) - q(x, t)).abs().mean())


def test_quantization_check():
    for fn in (q_file, q_default_spec, ex.reference_quantization_report):
        ok, out = _check_q(fn) if fn is not ex.reference_quantization_report else (True, "")
        assert ok, (fn.__name__, out)
    for fn in (q_inverted, q_mean_error):
        ok, out = _check_q(fn)
        assert not ok and "wrong answer" in out, fn.__name__


# --- exercise 2: throughput --------------------------------------------------------------------------

T_CASES = [ex.throughput_case(500, 4, 0.3, 0.05, "a"), ex.throughput_case(32, 1, 0.2, 0.08, "b")]  # as notebook 14


def _check_t(fn):
    return _run(lambda f: ex.check(f, ex.reference_samples_per_second, cases=T_CASES,
                                   compare_fn=ex.compare_throughput, name="my_samples_per_second"), fn)


def t_loop(generate, n, repeats):
    generate(n)
    start = time.perf_counter()
    for _ in range(repeats):
        generate(n)
    return n * repeats / (time.perf_counter() - start)


def t_per_call(generate, n, repeats):  # alternative: time each call, time.time, sum
    generate(n)
    total = 0.0
    for _ in range(repeats):
        t0 = time.time()
        generate(n)
        total += time.time() - t0
    return n * repeats / total


def t_no_warmup(generate, n, repeats):  # mistake
    start = time.perf_counter()
    for _ in range(repeats):
        generate(n)
    return n * repeats / (time.perf_counter() - start)


def t_counts_warmup(generate, n, repeats):  # mistake: the warm-up's samples counted, its time not
    generate(n)
    start = time.perf_counter()
    for _ in range(repeats):
        generate(n)
    return n * (repeats + 1) / (time.perf_counter() - start)


def t_calls(generate, n, repeats):  # mistake: calls per second
    return t_loop(generate, n, repeats) / n


def t_seconds(generate, n, repeats):  # mistake: seconds per sample
    return 1 / t_loop(generate, n, repeats)


def test_throughput_check_over_repeated_runs():
    for _ in range(10):  # timing, not seeds: repeated runs of both alternatives (about 25 s)
        for fn in (t_loop, t_per_call):
            ok, out = _check_t(fn)
            assert ok, (fn.__name__, out)
    for fn, words in ((t_no_warmup, "warm-up"), (t_counts_warmup, "too fast"), (t_calls, "too slow"),
                      (t_seconds, "far too small")):
        ok, out = _check_t(fn)
        assert not ok and words in out, (fn.__name__, out)


# --- exercise 3: the diffusion loss --------------------------------------------------------------------

L_CASES = [ex.diffusion_loss_case(0, 50, 10, "a"), ex.diffusion_loss_case(1, 20, 50, "b"),
           ex.diffusion_loss_case(3, 30, 50, "c", reads_input=True)]


def _check_l(fn):
    wrapped = ex.forbid_calls(fn, ["q_sample", "diffusion_loss"], rule="write the forward process")
    return _run(lambda f: ex.check(f, ex.reference_diffusion_loss, cases=L_CASES,
                                   compare_fn=ex.compare_scalar_loss, name="my_diffusion_loss"), wrapped)


def l_ok(model, x0, t, noise, schedule):
    ab = schedule.alpha_bars[t].to(x0.dtype)[:, None]  # (B, 1)
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    return ((model(x_t, t) - noise) ** 2).mean()


def l_ok_loop(model, x0, t, noise, schedule):  # alternative: cumulative product by hand, mse_loss
    alphas = 1 - schedule.betas
    ab = torch.stack([alphas[: int(s) + 1].prod() for s in t]).float().unsqueeze(1)
    x_t = torch.sqrt(ab) * x0 + torch.sqrt(1 - ab) * noise
    return nn.functional.mse_loss(model(x_t, t), noise)


def l_one_step(model, x0, t, noise, schedule):  # mistake: alpha_t instead of alpha_bar_t
    a = schedule.alphas[t].float()[:, None]
    return ((model(a.sqrt() * x0 + (1 - a).sqrt() * noise, t) - noise) ** 2).mean()


def l_off_by_one(model, x0, t, noise, schedule):  # mistake: alpha_bars[t - 1]
    ab = schedule.alpha_bars[(t - 1).clamp(min=0)].float()[:, None]
    return ((model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t) - noise) ** 2).mean()


def l_sum(model, x0, t, noise, schedule):  # mistake: summed over coordinates
    return l_ok(model, x0, t, noise, schedule) * x0.shape[1]


def l_item(model, x0, t, noise, schedule):  # mistake: a float
    return l_ok(model, x0, t, noise, schedule).item()


def l_no_sqrt(model, x0, t, noise, schedule):  # mistake: alpha_bar instead of its square root
    ab = schedule.alpha_bars[t].float()[:, None]
    return ((model(ab * x0 + (1 - ab) * noise, t) - noise) ** 2).mean()


def l_feeds_x0(model, x0, t, noise, schedule):  # mistake: the network sees the clean data
    return ((model(x0, t) - noise) ** 2).mean()


def test_diffusion_loss_check():
    for fn in (l_ok, l_ok_loop):
        ok, out = _check_l(fn)
        assert ok, (fn.__name__, out)
    for fn in (l_one_step, l_off_by_one, l_sum, l_item, l_no_sqrt, l_feeds_x0):
        ok, out = _check_l(fn)
        assert not ok, fn.__name__


def test_diffusion_loss_case_that_reads_its_input_separates_the_mistakes():
    # On the untrained denoiser a wrong x_t moves the loss by < 1 %: a student would take it for rounding.
    # The w * x_t stand-in moves it by far more, so the message shows a real difference.
    args = L_CASES[2].args
    right = float(l_ok(*args))
    assert L_CASES[2].args[0](torch.ones(1, 2), torch.zeros(1)).grad_fn is not None
    for fn in (l_one_step, l_no_sqrt, l_feeds_x0, l_off_by_one):
        assert abs(float(fn(*args)) - right) > 0.1 * right, fn.__name__
