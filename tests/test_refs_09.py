"""Exercise 3 of notebook 09 (one GAN training step): the check accepts other correct steps and names
what a wrong one got wrong."""

import copy

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from course_utils import exercises as ex  # noqa: E402
from course_utils import gan  # noqa: E402


def _cases():
    return [ex.gan_step_case(0, 64, "a small GAN on the ring"),
            ex.gan_step_case(1, 5, "a batch of five", lr=0.1),
            ex.gan_step_case(2, 32, "three steps in a row", rounds=3)]


def _check(step, capsys):
    wrapped = ex.with_weights(step)
    result = ex.check(wrapped, ex.with_weights(gan.alternating_step), name="my_train_step", cases=_cases(),
                      rtol=1e-4, atol=1e-6, hint="a hint")
    return result is wrapped, capsys.readouterr().out


def _d_step(G, D, opt_d, real, z, detach=True, zero=True):
    fake = G(z).detach() if detach else G(z)
    d_loss = gan.discriminator_loss(D(real), D(fake))
    if zero:
        opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    return d_loss


def correct_without_detach_and_bce(G, D, opt_g, opt_d, real, z):
    """No detach (harmless, since G's gradients are zeroed before its own backward), BCE-with-logits losses,
    and one G(z) reused for both steps."""
    fake = G(z)
    d_loss = (F.binary_cross_entropy_with_logits(D(real), torch.ones(len(real)))
              + F.binary_cross_entropy_with_logits(D(fake.detach()), torch.zeros(len(z))))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.binary_cross_entropy_with_logits(D(fake), torch.ones(len(z)))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def correct_with_no_grad_and_frozen_d(G, D, opt_g, opt_d, real, z):
    with torch.no_grad():
        fake = G(z)
    d_loss = -F.logsigmoid(D(real)).mean() - F.logsigmoid(-D(fake)).mean()
    opt_d.zero_grad(set_to_none=False)
    d_loss.backward()
    opt_d.step()
    D.requires_grad_(False)
    g_loss = -F.logsigmoid(D(G(z))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    return float(d_loss.item()), float(g_loss.item())


def _g_step(G, D, opt_g, z, zero=True, kind="non_saturating"):
    g_loss = gan.generator_loss(D(G(z)), kind=kind)
    if zero:
        opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return g_loss


def forgot_zero_grad_of_g(G, D, opt_g, opt_d, real, z):
    d_loss = _d_step(G, D, opt_d, real, z)
    return d_loss.item(), _g_step(G, D, opt_g, z, zero=False).item()


def forgot_detach_and_zero_grad_of_g(G, D, opt_g, opt_d, real, z):
    d_loss = _d_step(G, D, opt_d, real, z, detach=False)
    return d_loss.item(), _g_step(G, D, opt_g, z, zero=False).item()


def forgot_zero_grad_of_d(G, D, opt_g, opt_d, real, z):
    d_loss = _d_step(G, D, opt_d, real, z, zero=False)
    return d_loss.item(), _g_step(G, D, opt_g, z).item()


def minimax_generator(G, D, opt_g, opt_d, real, z):
    d_loss = _d_step(G, D, opt_d, real, z)
    return d_loss.item(), _g_step(G, D, opt_g, z, kind="minimax").item()


def returns_tensors(G, D, opt_g, opt_d, real, z):
    return _d_step(G, D, opt_d, real, z), _g_step(G, D, opt_g, z)


@pytest.mark.parametrize("step", [gan.alternating_step, correct_without_detach_and_bce,
                                  correct_with_no_grad_and_frozen_d])
def test_the_check_accepts_correct_steps(step, capsys):
    accepted, out = _check(step, capsys)
    assert accepted, out


@pytest.mark.parametrize("step, case, says", [
    (forgot_zero_grad_of_g, "three steps in a row", "result."),
    (forgot_zero_grad_of_d, "three steps in a row", "result."),
    (forgot_detach_and_zero_grad_of_g, "a small GAN on the ring", "result.G_weights_after_step differs"),
    (minimax_generator, "a small GAN on the ring", "result.g_loss should be"),
    (returns_tensors, "a small GAN on the ring", "two Python floats"),
])
def test_the_check_rejects_common_mistakes_and_names_the_part(step, case, says, capsys):
    accepted, out = _check(step, capsys)
    assert not accepted
    assert f"on {case}" in out and says in out and "Hint: a hint" in out, out


def test_rounds_repeat_the_step_on_the_same_batch():
    c = ex.gan_step_case(2, 16, "two rounds", rounds=2)
    assert c.kwargs == {"rounds": 2} and ex.gan_step_case(2, 16, "one").kwargs == {}
    once = copy.deepcopy(c.args)
    gan.alternating_step(*once)
    by_hand = gan.alternating_step(*once)
    result = ex.with_weights(gan.alternating_step)(*copy.deepcopy(c.args), rounds=2)
    assert (result.d_loss, result.g_loss) == pytest.approx(by_hand)
    g_weights = torch.cat([p.detach().flatten() for p in once[0].parameters()])  # (P_G,)
    torch.testing.assert_close(result.G_weights_after_step, g_weights)


def test_step_result_unpacks_like_a_tuple_and_prints_briefly():
    result = ex.with_weights(gan.alternating_step)(*ex.gan_step_case(0, 8, "tiny").args)
    d_loss, g_loss, g_weights, d_weights = result
    assert len(result) == 4 and result[2] is g_weights and result[3] is d_weights
    assert repr(result).startswith(f"(d_loss={d_loss:.6g}, g_loss={g_loss:.6g}, G's weights: 82 values")
    msg = ex.compare(result, ex.with_weights(gan.alternating_step)(*ex.gan_step_case(1, 8, "other").args))
    assert msg.startswith("result.")


def test_case_inputs_print_in_a_few_words_and_survive_a_deep_copy():
    c = ex.gan_step_case(0, 8, "tiny", lr=0.1)
    G, D, opt_g, opt_d = c.args[:4]
    assert (repr(G), repr(D), repr(opt_g), repr(opt_d)) == (
        "G (2 -> 16 -> 2)", "D (2 -> 16 -> 1)", "opt_g (Adam, lr 0.1)", "opt_d (Adam, lr 0.1)")
    assert isinstance(G, gan.Generator) and isinstance(opt_d, torch.optim.Adam)
    G2, _, opt_g2, _ = copy.deepcopy(c.args)[:4]
    assert repr(G2) == repr(G) and opt_g2.param_groups[0]["params"][0] is next(G2.parameters())


# --- Exercises 1 and 2: the losses must come back as 0-d tensors that carry a gradient -----------------

def _loss_cases():
    gen = torch.Generator().manual_seed(1)
    return [ex.loss_case(torch.zeros(4), torch.zeros(4), label="D unsure everywhere"),
            ex.loss_case(3 * torch.randn(64, generator=gen), 3 * torch.randn(64, generator=gen), label="random"),
            ex.loss_case(torch.randn(5, generator=gen), torch.randn(3, generator=gen), label="different sizes"),
            ex.loss_case(torch.tensor([1e4, -1e4]), torch.tensor([-1e4, 1e4]), label="extreme logits")]


def _check_d_loss(fn, capsys):
    result = ex.check(fn, gan.discriminator_loss, cases=_loss_cases(), compare_fn=ex.compare_scalar_loss,
                      hint="a hint")
    return result is fn, capsys.readouterr().out


@pytest.mark.parametrize("fn", [
    lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean(),
    lambda r, f: (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                  + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))),
    lambda r, f: -F.logsigmoid(r).mean() - F.logsigmoid(-f).mean(),
])
def test_the_loss_check_accepts_differentiable_scalar_losses(fn, capsys):
    accepted, out = _check_d_loss(fn, capsys)
    assert accepted, out


@pytest.mark.parametrize("fn, says", [
    (lambda r, f: (F.softplus(-r).mean() + F.softplus(f).mean()).item(), "0-d torch tensor that carries a gradient"),
    (lambda r, f: float((F.softplus(-r).mean() + F.softplus(f).mean()).detach()), "got a float"),
    (lambda r, f: torch.tensor((F.softplus(-r).mean() + F.softplus(f).mean()).item()), "carries no gradient"),
    (lambda r, f: (F.softplus(-r).mean() + F.softplus(f).mean()).detach(), "carries no gradient"),
    (lambda r, f: (F.softplus(-r).mean() + F.softplus(f).mean()).reshape(1), "got shape (1,)"),
    (lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(), "result should be"),
    (lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean(), "inf"),
])
def test_the_loss_check_rejects_numbers_and_non_differentiable_results(fn, says, capsys):
    accepted, out = _check_d_loss(fn, capsys)
    assert not accepted
    assert says in out and "Hint: a hint" in out, out


def test_the_generator_loss_check_rejects_item_and_accepts_logsigmoid(capsys):
    def good(logits, kind="non_saturating"):
        return F.logsigmoid(-logits).mean() if kind == "minimax" else -F.logsigmoid(logits).mean()

    def floats(logits, kind="non_saturating"):
        return gan.generator_loss(logits, kind=kind).item()

    cases = [ex.loss_case(torch.linspace(-3, 3, 7), label="ns"),
             ex.loss_case(torch.linspace(-3, 3, 7), kind="minimax", label="mm")]
    assert ex.check(good, gan.generator_loss, cases=cases, compare_fn=ex.compare_scalar_loss) is good
    assert ex.check(floats, gan.generator_loss, cases=cases, compare_fn=ex.compare_scalar_loss) is not floats
    assert "0-d torch tensor" in capsys.readouterr().out
