"""The exercise checks of notebook 10: each accepts other correct solutions and rejects the common mistakes.

The cases are those of the notebook's check cells (rebuilt here); each mistake must fail on at least one.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course_utils import datasets, metrics, vae  # noqa: E402
from course_utils import exercises as ex  # noqa: E402

torch.set_num_threads(1)


def _accepted(student, reference, cases, capsys, forbid=(), **options):
    """Run the notebook's check on ``student``, wrapped with forbid_calls as the check cell does."""
    wrapped = ex.forbid_calls(student, list(forbid), rule="the notebook's rule") if forbid else student
    result = ex.check(wrapped, reference, cases=cases, name="student", hint="a hint", **options)
    out = capsys.readouterr().out
    return result is wrapped, out


_FORBID_COVERAGE = ["mode_coverage"]
_FORBID_BETA = ["pick_beta"]
_FORBID_COUPLING = ["__self__", "AffineCoupling"]


# --- Exercise 1: modes covered and the high-quality fraction -------------------------------------------

def _coverage_cases():
    ring = datasets.ring_centers()
    rng = np.random.default_rng(1)
    collapsed = ring[[0, 0, 0, 3]][rng.integers(0, 4, 400)] + 0.02 * rng.standard_normal((400, 2))
    spread = datasets.ring_of_gaussians(1000, rng=2).X
    blurry = datasets.ring_of_gaussians(500, std=0.2, rng=3).X
    almost = np.vstack([ring[[5]] + 0.01 * rng.standard_normal((9, 2)), spread])
    return [ex.case(collapsed, ring, 0.02), ex.case(spread, ring, 0.02), ex.case(blurry, ring, 0.02),
            ex.case(ring[:3] + 1.0, ring, 0.02), ex.case(almost, ring, 0.02)]


def coverage_loop(samples, centers, std):
    counts, good = [0] * len(centers), 0
    for x in samples:
        d = [math.dist(x, c) for c in centers]
        k = int(np.argmin(d))
        if d[k] <= 3 * std:
            good += 1
            counts[k] += 1
    return sum(c >= 0.01 * len(samples) for c in counts), good / len(samples)


def coverage_scipy(samples, centers, std):
    from scipy.spatial.distance import cdist

    d = cdist(samples, centers)  # (n, K)
    good = d.min(1) <= 3 * std
    counts = np.array([np.sum(good & (d.argmin(1) == k)) for k in range(len(centers))])
    return int(np.sum(counts / len(samples) >= 0.01)), float(np.mean(good))


def coverage_one_std(samples, centers, std):  # mistake: within one std instead of three
    d = np.linalg.norm(samples[:, None] - centers[None], axis=-1)
    good = d.min(1) <= std
    counts = np.bincount(d.argmin(1)[good], minlength=len(centers))
    return int((counts >= 0.01 * len(samples)).sum()), float(good.mean())


def coverage_counts_all_nearest(samples, centers, std):  # mistake: low-quality samples count for a mode
    d = np.linalg.norm(samples[:, None] - centers[None], axis=-1)
    counts = np.bincount(d.argmin(1), minlength=len(centers))
    return int((counts >= 0.01 * len(samples)).sum()), float((d.min(1) <= 3 * std).mean())


def coverage_share_of_good(samples, centers, std):  # mistake: 1% of the good samples, not of all
    d = np.linalg.norm(samples[:, None] - centers[None], axis=-1)
    good = d.min(1) <= 3 * std
    counts = np.bincount(d.argmin(1)[good], minlength=len(centers))
    return int((counts >= 0.01 * good.sum()).sum()), float(good.mean())


def coverage_by_library(samples, centers, std):  # not allowed: the function the check compares with
    return metrics.mode_coverage(samples, centers, std)


@pytest.mark.parametrize("fn", [coverage_loop, coverage_scipy])
def test_mode_coverage_check_accepts_correct_solutions(fn, capsys):
    accepted, out = _accepted(fn, metrics.mode_coverage, _coverage_cases(), capsys, forbid=_FORBID_COVERAGE)
    assert accepted, out


@pytest.mark.parametrize("fn", [coverage_one_std, coverage_counts_all_nearest, coverage_share_of_good])
def test_mode_coverage_check_rejects_mistakes(fn, capsys):
    accepted, out = _accepted(fn, metrics.mode_coverage, _coverage_cases(), capsys, forbid=_FORBID_COVERAGE)
    assert not accepted and "Hint: a hint" in out


def test_mode_coverage_check_refuses_the_library_call(capsys):
    accepted, out = _accepted(coverage_by_library, metrics.mode_coverage, _coverage_cases(), capsys,
                              forbid=_FORBID_COVERAGE)
    assert not accepted and "mode_coverage" in out


# --- Exercise 2: pick beta -----------------------------------------------------------------------------

_TOY = [{"beta": 4.0, "distortion": 30.0, "rate": 0.5}, {"beta": 0.5, "distortion": 12.0, "rate": 9.0},
        {"beta": 1.0, "distortion": 15.0, "rate": 5.0}, {"beta": 2.0, "distortion": 21.0, "rate": 2.0},
        {"beta": 3.0, "distortion": 20.0, "rate": 2.5}]
_BETA_CASES = [ex.case(_TOY, 20.0), ex.case(_TOY, 21.0), ex.case(_TOY, 100.0), ex.case(_TOY, 10.0)]


def pick_sorted(sweep, max_distortion):
    for entry in sorted(sweep, key=lambda e: e["rate"]):
        if entry["distortion"] <= max_distortion:
            return entry["beta"]
    return None


def pick_numpy(sweep, max_distortion):
    rates = np.array([e["rate"] if e["distortion"] <= max_distortion else np.inf for e in sweep])
    return None if np.isinf(rates).all() else sweep[int(rates.argmin())]["beta"]


def pick_strict(sweep, max_distortion):  # mistake: "at most" read as "below"
    within = [e for e in sweep if e["distortion"] < max_distortion]
    return min(within, key=lambda e: e["rate"])["beta"] if within else None


def pick_largest_beta(sweep, max_distortion):  # mistake: assumes a larger beta has a smaller rate
    within = [e for e in sweep if e["distortion"] <= max_distortion]
    return max(within, key=lambda e: e["beta"])["beta"] if within else None


def pick_assumes_sorted(sweep, max_distortion):  # mistake: the last entry within budget
    best = None
    for e in sweep:
        if e["distortion"] <= max_distortion:
            best = e["beta"]
    return best


def pick_beta(sweep, max_distortion):  # the student's name for it; this one calls the library
    return vae.pick_beta(sweep, max_distortion)


def pick_running_best(sweep, max_distortion):  # correct: one pass, keeping the best entry so far
    best = None
    for entry in sweep:
        if entry["distortion"] <= max_distortion and (best is None or entry["rate"] < best["rate"]):
            best = entry
    return None if best is None else best["beta"]


@pytest.mark.parametrize("fn", [pick_sorted, pick_numpy, pick_running_best])
def test_pick_beta_check_accepts_correct_solutions(fn, capsys):
    accepted, out = _accepted(fn, vae.pick_beta, _BETA_CASES, capsys, forbid=_FORBID_BETA)
    assert accepted, out


@pytest.mark.parametrize("fn", [pick_strict, pick_largest_beta, pick_assumes_sorted])
def test_pick_beta_check_rejects_mistakes(fn, capsys):
    accepted, _ = _accepted(fn, vae.pick_beta, _BETA_CASES, capsys, forbid=_FORBID_BETA)
    assert not accepted


def test_pick_beta_check_refuses_the_library_call(capsys):
    accepted, out = _accepted(pick_beta, vae.pick_beta, _BETA_CASES, capsys, forbid=_FORBID_BETA)
    assert not accepted and "pick_beta" in out


# --- Exercise 3: the one-dimensional affine flow -------------------------------------------------------

def _affine_cases():
    gen = torch.Generator().manual_seed(3)
    return [ex.case(torch.randn(10, generator=gen), 1.0, 0.0),
            ex.case(torch.randn(10, generator=gen) * 3 + 1, 2.5, 1.0),
            ex.case(torch.randn(4, 3, generator=gen), -0.5, 2.0),
            ex.case(torch.tensor([0.0]), 0.01, 0.0)]


def affine_by_hand(x, a, b):
    u = (x - b) / a
    return -0.5 * u**2 - 0.5 * math.log(2 * math.pi) - math.log(abs(a))


def affine_with_torch_log(x, a, b):
    u = (x - b) / a
    return torch.distributions.Normal(0.0, 1.0).log_prob(u) + torch.log(torch.tensor(1.0 / abs(a)))


def affine_wrong_sign(x, a, b):  # mistake: adds log|a| instead of subtracting it
    u = (x - b) / a
    return -0.5 * u**2 - 0.5 * math.log(2 * math.pi) + math.log(abs(a))


def affine_no_jacobian(x, a, b):  # mistake: the base density at f(x) only
    u = (x - b) / a
    return -0.5 * u**2 - 0.5 * math.log(2 * math.pi)


def affine_log_of_a(x, a, b):  # mistake: log(a) is undefined for a negative scale
    u = (x - b) / a
    return -0.5 * u**2 - 0.5 * math.log(2 * math.pi) - torch.log(torch.tensor(a))


@pytest.mark.parametrize("fn", [ex.reference_affine_flow_log_prob, affine_by_hand, affine_with_torch_log])
def test_affine_flow_check_accepts_correct_solutions(fn, capsys):
    accepted, out = _accepted(fn, ex.reference_affine_flow_log_prob, _affine_cases(), capsys,
                              rtol=1e-5, atol=1e-5)
    assert accepted, out


@pytest.mark.parametrize("fn", [affine_wrong_sign, affine_no_jacobian, affine_log_of_a])
def test_affine_flow_check_rejects_mistakes(fn, capsys):
    accepted, _ = _accepted(fn, ex.reference_affine_flow_log_prob, _affine_cases(), capsys,
                            rtol=1e-5, atol=1e-5)
    assert not accepted


# --- Exercise 4: an affine coupling and its log-determinant --------------------------------------------

def _coupling_cases():
    gen = torch.Generator().manual_seed(4)
    return [ex.case(torch.randn(6, 2, generator=gen), torch.tensor([1.0, 0.0]),
                    ex.random_coupling_conditioner(2, [1.0, 0.0], 0)),
            ex.case(torch.randn(6, 2, generator=gen), torch.tensor([0.0, 1.0]),
                    ex.random_coupling_conditioner(2, [0.0, 1.0], 1)),
            ex.case(torch.randn(5, 5, generator=gen), torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0]),
                    ex.random_coupling_conditioner(5, [1.0, 0.0, 1.0, 0.0, 1.0], 2))]


def coupling_without_masks(x, mask, conditioner):
    # s and t are zero in the pass-through columns, so exp(0) * x + 0 leaves them as they are
    s, t = conditioner(mask * x)
    return x * torch.exp(s) + t, s.sum(dim=1)


def coupling_with_where(x, mask, conditioner):
    s, t = conditioner(x * mask)
    keep = mask.bool()
    z = torch.where(keep, x, x * s.exp() + t)
    return z, torch.where(keep, torch.zeros_like(s), s).sum(-1)


def coupling_unmasked_input(x, mask, conditioner):  # mistake: the conditioner sees all of x
    s, t = conditioner(x)
    return mask * x + (1 - mask) * (x * torch.exp(s) + t), ((1 - mask) * s).sum(1)


def coupling_batch_sum(x, mask, conditioner):  # mistake: one log-determinant for the whole batch
    s, t = conditioner(mask * x)
    return mask * x + (1 - mask) * (x * torch.exp(s) + t), s.sum()


def coupling_log_of_product(x, mask, conditioner):
    # correct: the log of the product of the diagonal entries, written literally
    s, t = conditioner(mask * x)
    diagonal = mask + (1 - mask) * torch.exp(s)  # (B, d): 1 for the pass-through coordinates
    return mask * x + (1 - mask) * (x * torch.exp(s) + t), torch.log(diagonal.prod(dim=1))


def coupling_inverse_scale(x, mask, conditioner):  # mistake: divides by exp(s), as the inverse does
    s, t = conditioner(mask * x)
    return mask * x + (1 - mask) * (x * torch.exp(-s) + t), s.sum(1)


def coupling_sum_of_scales(x, mask, conditioner):  # mistake: sums the scales e^s, not their logs
    s, t = conditioner(mask * x)
    return mask * x + (1 - mask) * (x * torch.exp(s) + t), ((1 - mask) * torch.exp(s)).sum(1)


def coupling_unsummed(x, mask, conditioner):  # mistake: one log-scale per coordinate, not one number per row
    s, t = conditioner(mask * x)
    return mask * x + (1 - mask) * (x * torch.exp(s) + t), s


def coupling_no_log_det(x, mask, conditioner):  # mistake: treats the layer as volume-preserving
    s, t = conditioner(mask * x)
    return mask * x + (1 - mask) * (x * torch.exp(s) + t), torch.zeros(len(x))


def coupling_by_layer(x, mask, conditioner):  # not allowed: runs the layer itself
    return conditioner.__self__(x)


@pytest.mark.parametrize("fn", [coupling_without_masks, coupling_with_where, coupling_log_of_product])
def test_coupling_check_accepts_correct_solutions(fn, capsys):
    accepted, out = _accepted(fn, ex.reference_coupling_forward, _coupling_cases(), capsys,
                              forbid=_FORBID_COUPLING, rtol=1e-5, atol=1e-6)
    assert accepted, out


@pytest.mark.parametrize("fn", [coupling_unmasked_input, coupling_batch_sum, coupling_inverse_scale,
                                coupling_sum_of_scales, coupling_unsummed, coupling_no_log_det])
def test_coupling_check_rejects_mistakes(fn, capsys):
    accepted, _ = _accepted(fn, ex.reference_coupling_forward, _coupling_cases(), capsys,
                            forbid=_FORBID_COUPLING, rtol=1e-5, atol=1e-6)
    assert not accepted


def test_coupling_check_refuses_the_layer_itself(capsys):
    accepted, out = _accepted(coupling_by_layer, ex.reference_coupling_forward, _coupling_cases(), capsys,
                              forbid=_FORBID_COUPLING, rtol=1e-5, atol=1e-6)
    assert not accepted and "__self__" in out


def test_the_conditioner_is_zero_on_the_pass_through_columns():
    mask = torch.tensor([1.0, 0.0, 1.0, 0.0])
    s, t = ex.random_coupling_conditioner(4, mask, seed=5)(torch.randn(7, 4) * mask)
    assert s[:, mask == 1].abs().max() == 0 and t[:, mask == 1].abs().max() == 0
    assert s[:, mask == 0].abs().min() > 0 and t[:, mask == 0].abs().min() > 0
