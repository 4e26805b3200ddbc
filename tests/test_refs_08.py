"""The exercises of notebook 08 (Gaussian KL, reparameterisation, Bernoulli ELBO): the library shortcuts are
refused, other correct solutions pass, a detached reparameterisation is caught, and a check cell re-run
after a wrong answer neither passes the reference nor breaks the cells after it."""

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional
D = torch.distributions

from course_utils import exercises as ex  # noqa: E402
from course_utils import vae  # noqa: E402

# The names each check cell of notebook 08 passes to cu.exercises.forbid_calls (c016, c021, c024).
KL_FORBIDDEN = ["gaussian_kl", "kl_per_dimension", "_kl_terms", "elbo", "loss_terms", "kl_divergence"]
REP_FORBIDDEN = ["reparameterize", "_reparameterize", "rsample"]
ELBO_FORBIDDEN = ["elbo", "_elbo", "loss_terms", "gaussian_kl", "kl_per_dimension", "_kl_terms", "_log_likelihood"]


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def kl_cases():
    g = _gen(1)
    return [ex.case(torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)),
            ex.case(torch.zeros(2, 5), torch.zeros(2, 5))]


def rep_cases():
    g = _gen(2)
    return [ex.case(torch.randn(4, 2, generator=g), torch.randn(4, 2, generator=g), torch.randn(4, 2, generator=g)),
            ex.case(torch.randn(3, 2, generator=g).requires_grad_(), torch.zeros(3, 2).requires_grad_(),
                    torch.randn(3, 2, generator=g))]


def elbo_cases():
    g = _gen(3)
    x = (torch.rand(6, 64, generator=g) < 0.3).float()
    return [ex.case(x, torch.randn(6, 64, generator=g), torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)),
            ex.case(x[:1], 60.0 * (2 * x[:1] - 1), torch.zeros(1, 4), torch.zeros(1, 4))]


def _check_kl(fn):
    return ex.check(ex.forbid_calls(fn, KL_FORBIDDEN, rule="r"), vae.gaussian_kl, kl_cases(), name="my_gaussian_kl",
                    rtol=1e-5, atol=1e-6)


def _check_rep(fn):
    return ex.check(ex.forbid_calls(fn, REP_FORBIDDEN, rule="r"), ex.reference_reparameterize, rep_cases(),
                    name="my_reparameterize", compare_fn=ex.compare_differentiable)


def _check_elbo(fn):
    return ex.check(ex.forbid_calls(fn, ELBO_FORBIDDEN, rule="r"), ex.reference_bernoulli_elbo, elbo_cases(),
                    name="my_elbo", rtol=1e-5, atol=1e-4)


# ------------------------------------------------------------------ student solutions


def kl_kingma(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def kl_library(mu, logvar):
    return vae.gaussian_kl(mu, logvar)


def kl_torch_distributions(mu, logvar):
    q = D.Normal(mu, (0.5 * logvar).exp())
    return D.kl_divergence(q, D.Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(-1)


def kl_mean(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).mean(1)


def rep_sqrt(mu, logvar, eps):
    return mu + torch.sqrt(torch.exp(logvar)) * eps


def rep_detached(mu, logvar, eps):
    return (mu + torch.exp(0.5 * logvar) * eps).detach()


def rep_rsample(mu, logvar, eps):
    return D.Normal(mu, (0.5 * logvar).exp()).rsample()


def rep_reference(mu, logvar, eps):
    return ex.reference_reparameterize(mu, logvar, eps)


def elbo_bernoulli(x, logits, mu, logvar):
    return D.Bernoulli(logits=logits).log_prob(x).sum(-1) - kl_kingma(mu, logvar)


def elbo_library(x, logits, mu, logvar):
    return vae.elbo(x, logits, mu, logvar).elbo


def elbo_library_kl(x, logits, mu, logvar):
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1) - vae.gaussian_kl(mu, logvar)


def elbo_log_sigmoid(x, logits, mu, logvar):
    p = torch.sigmoid(logits)
    return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(1) - kl_kingma(mu, logvar)


@pytest.mark.parametrize("check, fn, passes, says", [
    (_check_kl, kl_kingma, True, "correct"),
    (_check_kl, kl_library, False, "uses gaussian_kl"),
    (_check_kl, kl_torch_distributions, False, "uses kl_divergence"),
    (_check_kl, kl_mean, False, "differs"),
    (_check_rep, rep_sqrt, True, "correct"),
    (_check_rep, rep_detached, False, "no gradient"),
    (_check_rep, rep_rsample, False, "uses rsample"),
    (_check_rep, rep_reference, False, "uses reference_reparameterize"),
    (_check_elbo, elbo_bernoulli, True, "correct"),
    (_check_elbo, elbo_library, False, "uses elbo"),
    (_check_elbo, elbo_library_kl, False, "uses gaussian_kl"),
    (_check_elbo, elbo_log_sigmoid, False, "NaN"),
])
def test_checks_accept_correct_and_refuse_shortcuts_and_mistakes(check, fn, passes, says, capsys):
    result = check(fn)
    out = capsys.readouterr().out
    assert ("\u2705" in out) is passes and says in out, out
    assert (result.__wrapped__ is fn) if passes else "continues with the reference" in out


def test_compare_differentiable():
    mu = torch.zeros(2, 1, requires_grad=True)
    expected = mu + 1.0  # (2, 1), carries a gradient
    assert ex.compare_differentiable(expected, mu + 1.0) is None
    assert "no gradient" in ex.compare_differentiable(expected, (mu + 1.0).detach())
    assert "differs" in ex.compare_differentiable(expected, mu + 2.0)
    assert ex.compare_differentiable(torch.ones(2), torch.ones(2)) is None  # inputs without grad: values only


def test_rerun_after_a_wrong_answer_is_not_checked(capsys):
    stand_in = _check_kl(kl_mean)
    capsys.readouterr()
    _check_kl(stand_in)  # the student re-runs the check cell without redefining the function
    out = capsys.readouterr().out
    assert "not checked" in out and "\u2705" not in out


def test_rerun_after_a_wrong_answer_keeps_later_cells_working():
    again = _check_kl(_check_kl(kl_mean))
    mu, logvar = kl_cases()[0].args
    torch.testing.assert_close(again(mu, logvar), vae.gaussian_kl(mu, logvar))  # my_elbo calls my_gaussian_kl
