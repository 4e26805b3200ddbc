import inspect

import numpy as np
import pytest
import torch

from course_utils import exercises as ex
from course_utils.clustering import assign_labels


def reference(x, scale=2.0):
    return np.asarray(x) * scale


CASES = [ex.case(np.arange(3.0), label="small"), ex.case(np.ones((2, 2)), scale=3.0, label="matrix")]


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("WORKBOOK_GRADING", raising=False)


def test_correct_answer_passes_and_is_returned(capsys):
    def mine(x, scale=2.0):
        return np.asarray(x) * scale

    assert ex.check(mine, reference, CASES) is mine
    assert "\u2705 mine: correct on all 2 checks." in capsys.readouterr().out


def test_wrong_answer_reports_first_failing_input_and_falls_back(capsys):
    def mine(x, scale=2.0):
        return np.asarray(x) * 2.0  # ignores scale

    assert inspect.unwrap(ex.check(mine, reference, CASES, hint="use scale")) is reference
    out = capsys.readouterr().out
    assert "\u274c mine: wrong answer on matrix" in out
    assert "expected 3, got 2" in out and "Hint: use scale" in out
    assert "continues with the reference" in out


def test_unattempted_exercise_says_so(capsys):
    def mine(x, scale=2.0):
        raise NotImplementedError()

    assert inspect.unwrap(ex.check(mine, reference, CASES)) is reference
    assert "not attempted yet" in capsys.readouterr().out


def test_student_exception_is_short_and_points_at_their_line(capsys):
    def mine(x, scale=2.0):
        return x.undefined_attribute

    ex.check(mine, reference, CASES)
    out = capsys.readouterr().out
    assert "raised AttributeError" in out and "x.undefined_attribute" in out
    assert "Traceback" not in out


def test_shape_mismatch_is_reported():
    msg = ex.compare(np.zeros((2, 3)), np.zeros(6))
    assert msg == "result should have shape (2, 3) (got shape (6,))"


def test_compare_handles_tensors_tuples_dicts_and_nan():
    assert ex.compare((torch.ones(2), {"a": 1.0}), (np.ones(2), {"a": 1.0 + 1e-9})) is None
    assert "result[1]['a'] should be 1" in ex.compare((1, {"a": 1.0}), (1, {"a": 2.0}))
    assert "contains NaN" in ex.compare(np.ones(2), np.array([1.0, np.nan]))
    assert "sequence of 2 items" in ex.compare((1, 2), (1,))
    assert ex.compare("abc", "abd") == "result should be 'abc' (got 'abd')"


def test_inputs_are_copied_so_students_cannot_spoil_cases():
    X = np.zeros((4, 2))
    C = np.array([[0.0, 0.0], [1.0, 1.0]])

    def destructive(X, centers):
        out = assign_labels(X, centers)
        X[:] = 99.0
        return out

    assert ex.check(destructive, assign_labels, [ex.case(X, C)]) is destructive
    assert (X == 0).all()


def test_grading_mode_raises(monkeypatch):
    monkeypatch.setenv("WORKBOOK_GRADING", "1")

    def unattempted(x, scale=2.0):
        raise NotImplementedError()

    with pytest.raises(ex.ExerciseFailure, match="not attempted"):
        ex.check(unattempted, reference, CASES)
    with pytest.raises(ex.ExerciseFailure, match="wrong answer"):
        ex.check(lambda x, scale=2.0: x, reference, CASES, name="identity")


def test_grading_puts_the_reference_under_the_students_name_before_failing(monkeypatch):
    """Under grading a failed check raises, so the cell's assignment never runs: the checker itself puts the
    reference in the notebook's namespace, and later cells do not go on with the wrong function."""
    from course_utils import _checker

    monkeypatch.setenv("WORKBOOK_GRADING", "1")

    def scale_it(x, scale=2.0):
        return x  # wrong

    ns = {"scale_it": scale_it, "other": scale_it}
    monkeypatch.setattr(_checker, "_user_namespace", lambda: ns)
    with pytest.raises(ex.ExerciseFailure, match="wrong answer"):
        ex.check(ex.forbid_calls(scale_it, ["sum"], rule="no sums"), reference, CASES)
    assert ns == {"scale_it": reference, "other": scale_it}  # only the checked name, and only because it held it

    def sampler(rng):
        raise NotImplementedError()

    ns["sampler"] = sampler
    with pytest.raises(ex.ExerciseFailure, match="not attempted"):
        ex.check_sampler(sampler, lambda rng: rng.normal(), [(np.random.default_rng(0),)], lambda rng, s: None)
    assert ns["sampler"] is not sampler

    def endless(x, scale=2.0):
        raise KeyboardInterrupt  # what the grader's interrupt at the time limit raises inside the loop

    ns["endless"] = endless
    with pytest.raises(KeyboardInterrupt):
        ex.check(endless, reference, CASES)
    assert ns["endless"] is reference

    ns["stale"] = "a string"  # a name that no longer holds the student's function is left alone
    with pytest.raises(ex.ExerciseFailure):
        ex.check(scale_it, reference, CASES, name="stale")
    assert ns["stale"] == "a string"


def test_outside_grading_the_namespace_is_left_to_the_cell(monkeypatch, capsys):
    from course_utils import _checker

    def wrong(x, scale=2.0):
        return x

    ns = {"wrong": wrong}
    monkeypatch.setattr(_checker, "_user_namespace", lambda: ns)
    assert ex.check(wrong, reference, CASES) is reference  # returned for the cell's assignment
    assert ns["wrong"] is wrong


def test_custom_compare_fn(capsys):
    def labels_up_to_permutation(expected, got):
        pairs = set(zip(np.asarray(expected).tolist(), np.asarray(got).tolist()))
        return None if len(pairs) == len(set(np.asarray(expected).tolist())) else "labels differ"

    flipped = ex.check(lambda x: 1 - x, lambda x: x, [ex.case(np.array([0, 1, 1]))], name="flip",
                       compare_fn=labels_up_to_permutation)
    assert flipped(np.array([0])).tolist() == [1]
    assert "\u2705 flip" in capsys.readouterr().out


def test_check_value(capsys):
    assert ex.check_value(lambda: 0.5, 0.5, name="p") is True
    assert ex.check_value(lambda: 0.4, 0.5, name="p") is False
    out = capsys.readouterr().out
    assert "p should be 0.5 (got 0.4)" in out


def test_empty_cases_is_an_authoring_error():
    with pytest.raises(ValueError, match="cases must hold"):
        ex.check(reference, reference, [])


# --- reference solutions -------------------------------------------------------------------------

def test_reference_update_centers_keeps_empty_clusters_and_inputs():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 10.0]])
    old = np.array([[5.0, 5.0], [-7.0, 3.0], [9.0, 9.0]])
    new = ex.reference_update_centers(X, np.array([0, 0, 2]), old)
    np.testing.assert_allclose(new, [[0.5, 0.0], [-7.0, 3.0], [10.0, 10.0]], atol=1e-12)
    np.testing.assert_array_equal(old, [[5.0, 5.0], [-7.0, 3.0], [9.0, 9.0]])


def test_reference_j_trace_by_hand_and_never_increases():
    X = np.array([[0.0], [1.0], [10.0]])
    J = ex.reference_j_trace(X, np.array([[0.0], [9.0]]), np.array([1, 1, 0]))
    np.testing.assert_allclose(J, [81 + 64 + 100, 0 + 1 + 1, 0.25 + 0.25 + 0], atol=1e-12)
    for seed in range(10):
        rng = np.random.default_rng(seed)
        J0, J1, J2 = ex.reference_j_trace(rng.normal(size=(30, 2)), rng.normal(size=(3, 2)),
                                          rng.integers(0, 3, 30))
        assert J0 >= J1 - 1e-12 and J1 >= J2 - 1e-12


def test_reference_gaussian_mle_and_log_likelihood_by_hand():
    mu, sigma2 = ex.reference_gaussian_mle(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mu == pytest.approx(2.5, abs=1e-12) and sigma2 == pytest.approx(1.25, abs=1e-12)
    mu, sigma2 = ex.reference_gaussian_mle(np.array([1.8]))
    assert mu == pytest.approx(1.8, abs=1e-12) and sigma2 == pytest.approx(0.0, abs=1e-12)
    x = np.array([1.6, 1.75, 1.9])
    expected = np.sum(-0.5 * np.log(2 * np.pi * 0.01) - (x - 1.75) ** 2 / (2 * 0.01))
    assert ex.reference_gaussian_log_likelihood(x, 1.75, 0.01) == pytest.approx(expected, rel=1e-12)
    # log space: a point 525 standard deviations away still has a finite log-likelihood
    far = ex.reference_gaussian_log_likelihood(np.array([7.0]), 1.75, 0.01)
    assert far == pytest.approx(-0.5 * np.log(2 * np.pi * 0.01) - 5.25 ** 2 / 0.02, rel=1e-12)


def test_reference_gaussian_sample_makes_one_call_on_the_generator():
    got = ex.reference_gaussian_sample(1.75, 0.04, 5, np.random.default_rng(42))
    np.testing.assert_allclose(got, np.random.default_rng(42).normal(1.75, 0.2, size=5), rtol=1e-12)
    rng = np.random.default_rng(0)
    ex.reference_gaussian_sample(0.0, 1.0, 3, rng)
    np.testing.assert_allclose(rng.normal(size=2), np.random.default_rng(0).normal(size=5)[3:], rtol=1e-12)


def test_reference_pooled_gaussian_fit_by_hand():
    X = np.array([[0.0, 1.0], [2.0, 1.0], [10.0, 0.0], [12.0, 4.0]])
    y = np.array([0, 0, 1, 1])
    means, cov = ex.reference_pooled_gaussian_fit(X, y)
    np.testing.assert_allclose(means, [[1.0, 1.0], [11.0, 2.0]], atol=1e-12)
    residuals = X - means[y]  # (4, 2)
    np.testing.assert_allclose(cov, residuals.T @ residuals / 4, atol=1e-12)


def test_a_package_reference_is_named_in_the_fallback_message(capsys):
    def my_update_centers(X, labels, old_centers):
        raise NotImplementedError()

    X = np.array([[0.0], [2.0]])
    out_fn = ex.check(my_update_centers, ex.reference_update_centers,
                      [ex.case(X, np.array([0, 0]), np.array([[5.0], [7.0]]))])
    assert inspect.unwrap(out_fn) is ex.reference_update_centers
    assert "`cu.exercises.reference_update_centers`" in capsys.readouterr().out


# --- references of notebooks 05-10 (course_utils._refs_classical, course_utils._refs_deep) ---------

WEATHER = (np.array([2 / 3, 1 / 3]), np.array([[0.8, 0.2], [0.4, 0.6]]), np.array([24.0, 16.0]), np.array([3.0, 3.5]))


def test_moved_references_are_named_as_cu_exercises(capsys):
    for name in ("reference_sample_weather", "compare_chain_samples", "reference_gmm_sample",
                 "reference_reparameterize", "gan_step_case", "reference_coupling_forward"):
        assert name in ex.__all__ and callable(getattr(ex, name))

    def todo(*args):
        raise NotImplementedError()

    ex.check(todo, ex.reference_joint_log_prob, [ex.case(*WEATHER, np.array([0]), np.array([20.0]))])
    assert "`cu.exercises.reference_joint_log_prob`" in capsys.readouterr().out


def test_importing_exercises_loads_no_torch():
    import subprocess
    import sys

    code = "import sys, course_utils.exercises as ex; ex.reference_gmm_sample; assert 'torch' not in sys.modules"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_reference_sample_weather_follows_the_chain():
    x, z = ex.reference_sample_weather([1.0, 0.0, 0.0], [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
                                       [0.0, 10.0, 20.0], [1e-3, 1e-3, 1e-3], 7, 0)
    assert x.shape == (7,) and np.issubdtype(z.dtype, np.integer)
    np.testing.assert_array_equal(z, [0, 1, 2, 0, 1, 2, 0])  # a deterministic cycle
    np.testing.assert_allclose(x, 10.0 * z, atol=0.01)
    again = ex.reference_sample_weather(*WEATHER, 50, np.random.default_rng(3))
    first = ex.reference_sample_weather(*WEATHER, 50, np.random.default_rng(3))
    np.testing.assert_array_equal(first[0], again[0])


def test_compare_chain_samples_accepts_a_correct_sample_and_rejects_wrong_ones():
    expected = ex.reference_sample_weather(*WEATHER, 20000, np.random.default_rng(3))
    startprob, transmat, means, stds = WEATHER
    assert ex.compare_chain_samples(expected, ex.reference_sample_weather(*WEATHER, 20000, 4)) is None
    # the same stationary shares (2/3, 1/3) but independent days: only the transitions give it away
    iid = ex.reference_sample_weather(startprob, np.array([[2 / 3, 1 / 3]] * 2), means, stds, 20000, 4)
    assert ex.compare_chain_samples(expected, iid).startswith("transition frequencies")
    transposed = transmat.T / transmat.T.sum(axis=1, keepdims=True)
    wrong_a = ex.reference_sample_weather(startprob, transposed, means, stds, 20000, 4)
    assert ex.compare_chain_samples(expected, wrong_a) is not None
    variances = ex.reference_sample_weather(startprob, transmat, means, stds**2, 20000, 4)
    assert "wrong mean or spread" in ex.compare_chain_samples(expected, variances)
    x, z = expected
    assert "integer states" in ex.compare_chain_samples(expected, (x, z.astype(float)))
    assert "shape" in ex.compare_chain_samples(expected, (x[:-1], z[:-1]))


def test_reference_joint_log_prob_by_brute_force():
    from itertools import product

    from scipy import stats
    from scipy.special import logsumexp

    startprob, transmat, means, stds = WEATHER
    x = np.array([25.0, 17.0, 18.0, 23.0])
    joint = {}
    for z in product(range(2), repeat=len(x)):
        z = np.array(z)
        p = startprob[z[0]] * np.prod(transmat[z[:-1], z[1:]]) * np.prod(stats.norm.pdf(x, means[z], stds[z]))
        joint[tuple(z)] = ex.reference_joint_log_prob(*WEATHER, z, x)
        assert joint[tuple(z)] == pytest.approx(np.log(p), rel=1e-12)
    # summed over all 2^4 paths, the joint probabilities give the likelihood p(x)
    from course_utils import hmm

    params = hmm.GaussianHMMParams(startprob, transmat, means[:, None], stds[:, None] ** 2)
    assert logsumexp(list(joint.values())) == pytest.approx(hmm.score(x[:, None], params), rel=1e-12)
    # a path through a zero of transmat is impossible, without a warning
    cycle = ([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]], [0.0, 0.0], [1.0, 1.0])
    with np.errstate(all="raise"):
        assert ex.reference_joint_log_prob(*cycle, np.array([0, 0]), np.zeros(2)) == -np.inf


def test_reference_reparameterize_is_the_formula_and_matches_cu_vae():
    from course_utils import vae

    gen = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen)
    eps = torch.randn(4, 3, generator=torch.Generator().manual_seed(7))
    z = ex.reference_reparameterize(mu, logvar, eps)
    torch.testing.assert_close(z, mu + torch.exp(0.5 * logvar) * eps, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(z, vae.reparameterize(mu, logvar, seed=7), rtol=1e-6, atol=1e-7)
    mu.requires_grad_(True)
    logvar.requires_grad_(True)
    ex.reference_reparameterize(mu, logvar, eps).sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones(4, 3))
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


def test_reference_bernoulli_elbo_against_torch_distributions():
    from torch.distributions import Bernoulli, Normal, kl_divergence

    gen = torch.Generator().manual_seed(1)
    x = (torch.rand(5, 8, generator=gen) < 0.4).float()
    logits, mu, logvar = torch.randn(5, 8, generator=gen), torch.randn(5, 2, generator=gen), torch.randn(5, 2, generator=gen)
    q = Normal(mu, torch.exp(0.5 * logvar))
    expected = Bernoulli(logits=logits).log_prob(x).sum(1) - kl_divergence(q, Normal(0.0, 1.0)).sum(1)  # (5,)
    torch.testing.assert_close(ex.reference_bernoulli_elbo(x, logits, mu, logvar), expected, rtol=1e-5, atol=1e-5)
    # confident, correct logits of +-60 and q equal to the prior: the ELBO is about 0 and finite
    confident = ex.reference_bernoulli_elbo(x, 60.0 * (2 * x - 1), torch.zeros(5, 2), torch.zeros(5, 2))
    torch.testing.assert_close(confident, torch.zeros(5), atol=1e-6, rtol=0)


def test_reference_affine_flow_log_prob_against_the_change_of_variables():
    from torch.distributions import AffineTransform, Normal, TransformedDistribution

    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(2))
    for a, b in ((1.0, 0.0), (2.5, 1.0), (-0.5, 2.0), (0.01, 0.0)):
        got = ex.reference_affine_flow_log_prob(x, a, b)
        flow = TransformedDistribution(Normal(0.0, 1.0), [AffineTransform(b, a)])  # x = a z + b
        torch.testing.assert_close(got, flow.log_prob(x), rtol=1e-5, atol=1e-4)
        u = (x - b) / a
        torch.testing.assert_close(got, -0.5 * u**2 - 0.5 * np.log(2 * np.pi) - np.log(abs(a)), rtol=1e-5, atol=1e-4)
        assert got.shape == x.shape


def test_with_weights_returns_losses_and_weights_and_keeps_the_name():
    from course_utils import gan

    step = ex.with_weights(gan.alternating_step)
    assert step.__name__ == "alternating_step" and step.__module__ == "course_utils.gan"
    c = ex.gan_step_case(0, 16, "small")
    G, D = c.args[0], c.args[1]
    d_loss, g_loss, g_weights, d_weights = step(*c.args)
    assert isinstance(d_loss, float) and isinstance(g_loss, float)
    torch.testing.assert_close(g_weights, torch.cat([p.detach().flatten() for p in G.parameters()]))
    torch.testing.assert_close(d_weights, torch.cat([p.detach().flatten() for p in D.parameters()]))


def test_gan_step_case_is_seeded_and_leaves_the_global_generator_alone():
    from course_utils import datasets, gan

    torch.manual_seed(123)
    state = torch.get_rng_state()
    c = ex.gan_step_case(1, 5, "a batch of five", lr=0.1)
    assert torch.equal(torch.get_rng_state(), state)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        G, D = gan.Generator(2, 2, hidden_dims=(16,)), gan.Discriminator(2, hidden_dims=(16,))
    for mine, theirs in ((c.args[0], G), (c.args[1], D)):
        for p, q in zip(mine.parameters(), theirs.parameters()):
            assert torch.equal(p, q)
    assert c.args[2].param_groups[0]["lr"] == 0.1 and c.label == "a batch of five"
    np.testing.assert_allclose(c.args[4].numpy(), datasets.ring_of_gaussians(5, rng=1).X, rtol=1e-6)
    assert torch.equal(c.args[5], torch.randn(5, 2, generator=torch.Generator().manual_seed(1)))


def test_coupling_references_against_the_formula_and_autograd():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    mask = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0])
    conditioner = ex.random_coupling_conditioner(5, mask, seed=2)
    assert torch.equal(torch.get_rng_state(), state)
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(3))
    s, t = (v.detach() for v in conditioner(mask * x))  # (4, 5) each
    assert torch.count_nonzero(s[:, mask == 1]) == 0 and torch.count_nonzero(t[:, mask == 1]) == 0
    assert torch.count_nonzero(s[:, mask == 0]) == s[:, mask == 0].numel()  # a random, non-identity layer
    z, log_det = ex.reference_coupling_forward(x, mask, conditioner)
    torch.testing.assert_close(z, mask * x + (1 - mask) * (x * torch.exp(s) + t))
    for i in range(4):
        J = torch.autograd.functional.jacobian(lambda row: ex.reference_coupling_forward(row[None], mask,
                                                                                         conditioner)[0][0], x[i])
        torch.testing.assert_close(torch.linalg.slogdet(J)[1], log_det[i], rtol=1e-5, atol=1e-5)


def test_rerunning_a_check_on_the_stand_in_is_not_a_pass(capsys):
    """After a wrong answer the name holds the reference; checking that again must not print a pass."""
    def mine(x, scale):
        return x * scale + 1

    stand_in = ex.check(mine, reference, CASES)
    capsys.readouterr()
    assert ex.check(stand_in, reference, CASES) is stand_in
    out = capsys.readouterr().out
    assert "not checked" in out and "correct" not in out
    assert ex.check(reference, reference, CASES) is reference  # the bare reference, too
    assert "not checked" in capsys.readouterr().out


def test_rerunning_a_check_on_the_stand_in_fails_under_grading(monkeypatch):
    def mine(x, scale):
        return x * scale + 1

    stand_in = ex.check(mine, reference, CASES)
    monkeypatch.setenv("WORKBOOK_GRADING", "1")
    with pytest.raises(ex.ExerciseFailure, match="not checked"):
        ex.check(stand_in, reference, CASES)


def test_messages_show_numpy_scalars_as_plain_numbers():
    from collections import namedtuple

    from course_utils._checker import _short

    pair = namedtuple("Pair", "mean se")
    assert _short((np.float64(0.25), np.float32(2.0))) == "(0.25, 2.0)"
    assert _short([np.int64(3)]) == "[3]"
    assert _short(pair(np.float64(0.5), 1)) == "Pair(mean=0.5, se=1)"
