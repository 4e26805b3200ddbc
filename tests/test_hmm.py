"""Tests for course_utils.hmm: worked example, brute force, hmmlearn comparison, invariants, bad input."""

import itertools
import warnings

import numpy as np
import pytest
from hmmlearn import hmm as hl
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

from course_utils import hmm


def _random_categorical(N, M, seed, zeros=False):
    rng = np.random.default_rng(seed)
    transmat = rng.dirichlet(np.ones(N), size=N)
    if zeros:  # a left-to-right chain: structural zeros below the diagonal and in startprob
        transmat = np.triu(transmat)
        transmat /= transmat.sum(1, keepdims=True)
        startprob = np.r_[0.6, 0.4, np.zeros(N - 2)]
    else:
        startprob = rng.dirichlet(np.ones(N))
    return hmm.CategoricalHMMParams(startprob, transmat, rng.dirichlet(np.ones(M), size=N))


def _random_gaussian(N, D, seed):
    rng = np.random.default_rng(seed)
    return hmm.GaussianHMMParams(rng.dirichlet(np.ones(N)), rng.dirichlet(np.ones(N) * 2, size=N),
                                 rng.normal(scale=2.0, size=(N, D)), rng.uniform(0.5, 2.0, size=(N, D)))


def _hmmlearn(params, **kwargs):
    """An hmmlearn model holding ``params``; tol=-inf so that fit runs exactly n_iter iterations."""
    kwargs = {"init_params": "", "tol": -np.inf, **kwargs}
    if isinstance(params, hmm.CategoricalHMMParams):
        model = hl.CategoricalHMM(params.n_components, n_features=params.emissionprob.shape[1], **kwargs)
        model.emissionprob_ = params.emissionprob.copy()
    else:
        model = hl.GaussianHMM(params.n_components, covariance_type="diag", **kwargs)
        model.means_, model.covars_ = params.means.copy(), params.covars.copy()
    model.startprob_, model.transmat_ = params.startprob.copy(), params.transmat.copy()
    return model


def _as_hmmlearn_obs(obs):
    return obs[:, None] if obs.ndim == 1 else obs


# ------------------------------------------------------------------ Wikipedia worked example
# https://en.wikipedia.org/wiki/Forward%E2%80%93backward_algorithm#Example (umbrella world)
UMBRELLA = hmm.CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
UMBRELLA_OBS = np.array([0, 0, 1, 0, 0])  # umbrella, umbrella, no umbrella, umbrella, umbrella


def test_wikipedia_umbrella_example():
    log_start, log_trans, log_em = hmm.log_inputs(UMBRELLA_OBS, UMBRELLA)
    _, log_alpha = hmm.forward(log_start, log_trans, log_em)
    filtered = np.exp(log_alpha - logsumexp(log_alpha, axis=1, keepdims=True))
    np.testing.assert_allclose(filtered, [[0.8182, 0.1818], [0.8834, 0.1166], [0.1907, 0.8093],
                                          [0.7308, 0.2692], [0.8673, 0.1327]], atol=5e-5)
    log_prob, gamma = hmm.posteriors(log_start, log_trans, log_em)
    np.testing.assert_allclose(gamma, [[0.8673, 0.1327], [0.8204, 0.1796], [0.3075, 0.6925],
                                       [0.8204, 0.1796], [0.8673, 0.1327]], atol=5e-5)
    vit_prob, path = hmm.viterbi(log_start, log_trans, log_em)
    np.testing.assert_array_equal(path, [0, 0, 1, 0, 0])
    # by hand: pi_0 b_0(u) * (A_00 b_0(u)) * (A_01 b_1(no)) * (A_10 b_0(u)) * (A_00 b_0(u))
    assert vit_prob == pytest.approx(np.log(0.5 * 0.9 * (0.7 * 0.9) * (0.3 * 0.8) * (0.3 * 0.9) * (0.7 * 0.9)),
                                     rel=1e-12)
    assert vit_prob <= log_prob


def test_one_step_sequence_and_degenerate_chain():
    log_prob, gamma = hmm.posteriors(*hmm.log_inputs([1], UMBRELLA))
    assert log_prob == pytest.approx(np.log(0.5 * 0.1 + 0.5 * 0.8), rel=1e-12)
    np.testing.assert_allclose(gamma, [[0.05 / 0.45, 0.4 / 0.45]], rtol=1e-12)
    # a chain that never leaves state 0: the likelihood is a product of emissions
    stuck = hmm.CategoricalHMMParams([1.0, 0.0], np.eye(2), UMBRELLA.emissionprob)
    log_prob, gamma = hmm.posteriors(*hmm.log_inputs(UMBRELLA_OBS, stuck))
    assert log_prob == pytest.approx(4 * np.log(0.9) + np.log(0.1), rel=1e-12)
    np.testing.assert_array_equal(gamma[:, 1], 0.0)


# ---------------------------------------------------------------------------------- brute force
def _brute_force(log_start, log_trans, log_em):
    T, N = log_em.shape
    paths = np.array(list(itertools.product(range(N), repeat=T)))  # (N**T, T)
    log_joint = log_start[paths[:, 0]] + log_em[np.arange(T), paths].sum(1)
    log_joint = log_joint + log_trans[paths[:, :-1], paths[:, 1:]].sum(1)  # (N**T,)
    log_prob = logsumexp(log_joint)
    weights = np.exp(log_joint - log_prob)
    gamma = np.stack([np.bincount(paths[:, t], weights=weights, minlength=N) for t in range(T)])
    xi_sum = np.zeros((N, N))  # expected number of i -> j transitions
    for t in range(T - 1):
        np.add.at(xi_sum, (paths[:, t], paths[:, t + 1]), weights)
    return log_prob, gamma, log_joint.max(), paths[np.argmax(log_joint)], xi_sum


@pytest.mark.parametrize("T", [1, 2, 4, 6])
@pytest.mark.parametrize("kind", ["categorical", "zeros", "gaussian", "extreme"])
def test_against_brute_force_enumeration(T, kind):
    rng = np.random.default_rng(T)
    if kind == "gaussian":
        params = _random_gaussian(3, 2, seed=T)
        obs = rng.normal(scale=2.0, size=(T, 2))
    else:
        params = _random_categorical(3, 4, seed=T, zeros=kind == "zeros")
        obs = rng.integers(4, size=T)
    log_start, log_trans, log_em = hmm.log_inputs(obs, params)
    if kind == "extreme":  # log-likelihoods far below exp's range: no finite value may become -inf
        log_em = rng.uniform(-3000.0, 0.0, size=(T, 3))
    ref_prob, ref_gamma, ref_vit, ref_path, ref_xi = _brute_force(log_start, log_trans, log_em)
    log_prob, gamma = hmm.posteriors(log_start, log_trans, log_em)
    assert log_prob == pytest.approx(ref_prob, rel=1e-12)
    np.testing.assert_allclose(hmm.expected_transitions(log_start, log_trans, log_em), ref_xi, atol=1e-12)
    assert hmm.forward(log_start, log_trans, log_em)[0] == pytest.approx(ref_prob, rel=1e-12)
    np.testing.assert_allclose(gamma, ref_gamma, atol=1e-12)
    vit_prob, path = hmm.viterbi(log_start, log_trans, log_em)
    assert vit_prob == pytest.approx(ref_vit, rel=1e-12)
    np.testing.assert_array_equal(path, ref_path)


def test_messages_match_exact_log_space_recursion_with_underflowing_weights():
    # state 1 is reachable only from state 0, whose weight is ~e^-2000 of state 2's: linear-space
    # arithmetic would give alpha_t(1) = 0; the exact value is finite
    with np.errstate(divide="ignore"):
        log_start = np.log([0.5, 0.0, 0.5])
        log_trans = np.log(np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    log_em = np.array([[-2000.0, 0.0, 0.0], [-1.0, -1.0, -1.0], [-1.0, -2.0, -3.0], [-5.0, 0.0, -4000.0]])
    T, N = log_em.shape
    ref_alpha = np.empty((T, N))
    ref_alpha[0] = log_start + log_em[0]
    for t in range(1, T):
        ref_alpha[t] = log_em[t] + logsumexp(ref_alpha[t - 1][:, None] + log_trans, axis=0)
    ref_beta = np.zeros((T, N))
    for t in range(T - 2, -1, -1):
        ref_beta[t] = logsumexp(log_trans + (log_em[t + 1] + ref_beta[t + 1])[None, :], axis=1)
    log_prob, log_alpha = hmm.forward(log_start, log_trans, log_em)
    np.testing.assert_allclose(log_alpha, ref_alpha, rtol=1e-12)
    np.testing.assert_allclose(hmm.backward(log_start, log_trans, log_em), ref_beta, rtol=1e-12)
    assert np.isfinite(log_alpha[1:, 1]).all() and not np.isnan(log_alpha).any()
    assert log_prob == pytest.approx(logsumexp(ref_alpha[-1]), rel=1e-12)


# ---------------------------------------------------------------------- comparison with hmmlearn
@pytest.mark.parametrize("kind", ["categorical", "gaussian"])
@pytest.mark.parametrize("implementation", ["log", "scaling"])
def test_inference_matches_hmmlearn(kind, implementation):
    rng = np.random.default_rng(1)
    params = _random_categorical(4, 5, seed=2) if kind == "categorical" else _random_gaussian(4, 3, seed=2)
    obs, _ = hmm.sample_hmm(params, 700, rng=rng)
    lengths = [300, 1, 399]
    model = _hmmlearn(params, implementation=implementation)
    X = _as_hmmlearn_obs(obs)
    log_start, log_trans, log_em = hmm.log_inputs(obs, params)
    total, gammas, vit_total, paths = 0.0, [], 0.0, []
    for a, b in [(0, 300), (300, 301), (301, 700)]:
        log_prob, gamma = hmm.posteriors(log_start, log_trans, log_em[a:b])
        vit_prob, path = hmm.viterbi(log_start, log_trans, log_em[a:b])
        total, vit_total = total + log_prob, vit_total + vit_prob
        gammas.append(gamma)
        paths.append(path)
    assert total == pytest.approx(model.score(X, lengths), rel=1e-10)
    np.testing.assert_allclose(np.concatenate(gammas), model.predict_proba(X, lengths), atol=1e-10)
    ref_vit, ref_path = model.decode(X, lengths)
    assert vit_total == pytest.approx(ref_vit, rel=1e-10)
    np.testing.assert_array_equal(np.concatenate(paths), ref_path)
    # the wrapper class gives the same answers through its own (table-lookup) emission path
    wrapper = hmm.HMM(params)
    assert wrapper.score(obs, lengths) == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(wrapper.predict_proba(obs, lengths), np.concatenate(gammas), atol=1e-12)
    wrapper_vit, wrapper_path = wrapper.decode(obs, lengths)
    assert wrapper_vit == pytest.approx(vit_total, rel=1e-12)
    np.testing.assert_array_equal(wrapper_path, ref_path)
    np.testing.assert_array_equal(wrapper.predict(obs, lengths), ref_path)


@pytest.mark.parametrize("kind, covars_prior", [("categorical", 0.0), ("zeros", 0.0), ("gaussian", 0.0),
                                                ("gaussian", 1e-2)])
def test_baum_welch_matches_hmmlearn_fit(kind, covars_prior):
    rng = np.random.default_rng(3)
    if kind == "gaussian":  # start near the truth: hmmlearn floors expected visits at 1e-5 (see baum_welch)
        truth = _random_gaussian(3, 2, seed=4)
        init = hmm.GaussianHMMParams(np.ones(3) / 3, np.full((3, 3), 1 / 3), truth.means + rng.normal(size=(3, 2)),
                                     np.ones((3, 2)))
    else:
        truth, init = _random_categorical(4, 6, seed=4, zeros=kind == "zeros"), _random_categorical(
            4, 6, seed=5, zeros=kind == "zeros")
    obs, _ = hmm.sample_hmm(truth, 600, rng=rng)
    lengths = [250, 350]
    for n_iter in (1, 3, 10):
        fit = hmm.baum_welch(obs, init, lengths=lengths, n_iter=n_iter, tol=0, covars_prior=covars_prior)
        extra = {"covars_prior": covars_prior} if kind == "gaussian" else {}
        model = _hmmlearn(init, n_iter=n_iter, **extra).fit(_as_hmmlearn_obs(obs), lengths)
        assert fit.n_iter == n_iter and len(model.monitor_.history) == n_iter
        # our history is per observation, hmmlearn's the total over all T observations
        np.testing.assert_allclose(fit.log_likelihood_history * len(obs), list(model.monitor_.history), rtol=1e-10)
        np.testing.assert_allclose(fit.params.startprob, model.startprob_, rtol=1e-8, atol=1e-13)
        np.testing.assert_allclose(fit.params.transmat, model.transmat_, rtol=1e-8, atol=1e-13)
        if kind == "gaussian":
            np.testing.assert_allclose(fit.params.means, model.means_, rtol=1e-8)
            np.testing.assert_allclose(fit.params.covars, model._covars_, rtol=1e-8)
        else:
            np.testing.assert_allclose(fit.params.emissionprob, model.emissionprob_, rtol=1e-8, atol=1e-13)
    if kind == "zeros":  # structural zeros stay exactly zero
        np.testing.assert_array_equal(fit.params.transmat[init.transmat == 0], 0.0)
        np.testing.assert_array_equal(fit.params.startprob[init.startprob == 0], 0.0)


def test_long_sequence_has_finite_log_likelihood_equal_to_hmmlearn():
    params = hmm.CategoricalHMMParams([0.6, 0.4], [[0.95, 0.05], [0.1, 0.9]], [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    obs, _ = hmm.sample_hmm(params, 1_000_000, rng=0)
    log_start, log_trans, log_em = hmm.log_inputs(obs, params)
    log_prob, _ = hmm.forward(log_start, log_trans, log_em)
    assert np.isfinite(log_prob) and log_prob < -5e5  # p(x) itself underflows: exp(log_prob) == 0
    assert log_prob == pytest.approx(_hmmlearn(params, implementation="scaling").score(obs[:, None]), rel=1e-10)
    vit_prob, path = hmm.viterbi(log_start, log_trans, log_em)
    assert np.isfinite(vit_prob) and vit_prob <= log_prob and path.shape == (1_000_000,)


# ----------------------------------------------------------- inference from a parameter object
@pytest.mark.parametrize("kind", ["categorical", "gaussian"])
def test_parameter_object_functions_match_hmmlearn_and_the_log_space_functions(kind):
    rng = np.random.default_rng(21)
    params = _random_categorical(3, 4, seed=21) if kind == "categorical" else _random_gaussian(3, 2, seed=21)
    obs, states = hmm.sample_hmm(params, 500, rng=rng)
    lengths = [200, 1, 299]
    model, X = _hmmlearn(params), _as_hmmlearn_obs(obs)
    log_prob, gamma = hmm.score_samples(obs, params, lengths)
    assert log_prob == pytest.approx(model.score(X, lengths), rel=1e-10)
    assert hmm.score(obs, params, lengths) == pytest.approx(log_prob, rel=1e-12)
    np.testing.assert_allclose(gamma, model.predict_proba(X, lengths), atol=1e-10)
    vit_prob, path = hmm.decode(obs, params, lengths)
    ref_vit, ref_path = model.decode(X, lengths)
    assert vit_prob == pytest.approx(ref_vit, rel=1e-10)
    np.testing.assert_array_equal(path, ref_path)
    # the Viterbi path's joint log-probability is the Viterbi score; the true path scores no higher
    assert hmm.joint_log_prob(obs, path, params, lengths) == pytest.approx(vit_prob, rel=1e-12)
    assert hmm.joint_log_prob(obs, states, params, lengths) <= vit_prob + 1e-9
    # one sequence: the same numbers as the log-space functions on log_inputs
    args = hmm.log_inputs(obs[:200], params)
    assert hmm.score(obs[:200], params) == pytest.approx(hmm.forward(*args)[0], rel=1e-12)
    np.testing.assert_allclose(hmm.score_samples(obs[:200], params)[1], hmm.posteriors(*args)[1], atol=1e-12)
    assert hmm.decode(obs[:200], params)[0] == pytest.approx(hmm.viterbi(*args)[0], rel=1e-12)


def test_log_inputs_and_joint_log_prob_by_hand():
    log_start, log_trans, log_em = hmm.log_inputs(UMBRELLA_OBS, UMBRELLA)
    np.testing.assert_allclose(log_start, np.log([0.5, 0.5]), rtol=1e-15)
    np.testing.assert_allclose(log_trans, np.log(UMBRELLA.transmat), rtol=1e-15)
    np.testing.assert_allclose(log_em, np.log(UMBRELLA.emissionprob[:, UMBRELLA_OBS].T), rtol=1e-15)
    # the path umbrella world's Viterbi picks: pi_0 b_0(u) * A_00 b_0(u) * A_01 b_1(no) * A_10 b_0(u) * A_00 b_0(u)
    by_hand = np.log(0.5 * 0.9 * (0.7 * 0.9) * (0.3 * 0.8) * (0.3 * 0.9) * (0.7 * 0.9))
    assert hmm.joint_log_prob(UMBRELLA_OBS, [0, 0, 1, 0, 0], UMBRELLA) == pytest.approx(by_hand, rel=1e-12)
    twice = hmm.joint_log_prob(np.r_[UMBRELLA_OBS, UMBRELLA_OBS], [0, 0, 1, 0, 0] * 2, UMBRELLA, lengths=[5, 5])
    assert twice == pytest.approx(2 * by_hand, rel=1e-12)  # each sequence starts from startprob again
    # zeros: log 0 = -inf without a RuntimeWarning, an impossible path or sequence scores -inf
    stuck = hmm.CategoricalHMMParams([1.0, 0.0], np.eye(2), [[1.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_start, log_trans, _ = hmm.log_inputs([0, 0], stuck)
        assert np.isneginf(log_start[1]) and np.isneginf(log_trans[0, 1])
        assert np.isneginf(hmm.joint_log_prob([0, 0], [0, 1], stuck))
        assert np.isneginf(hmm.score([0, 1], stuck)) and np.isneginf(hmm.HMM(stuck).score([0, 1]))
    with pytest.raises(ValueError, match="probability zero"):
        hmm.score_samples([0, 1], stuck)


def test_expected_transitions_are_consistent_with_the_posteriors_and_baum_welch():
    params = _random_categorical(4, 3, seed=8, zeros=True)
    obs, _ = hmm.sample_hmm(params, 400, rng=8)
    args = hmm.log_inputs(obs, params)
    xi = hmm.expected_transitions(*args)  # (N, N)
    _, gamma = hmm.posteriors(*args)
    assert xi.shape == (4, 4) and xi.sum() == pytest.approx(399, rel=1e-12)  # T - 1 transitions
    np.testing.assert_allclose(xi.sum(axis=1), gamma[:-1].sum(axis=0), rtol=1e-10, atol=1e-12)  # leaving i
    np.testing.assert_allclose(xi.sum(axis=0), gamma[1:].sum(axis=0), rtol=1e-10, atol=1e-12)  # entering j
    np.testing.assert_array_equal(xi[params.transmat == 0], 0.0)  # structural zeros: exactly zero
    one_step = hmm.baum_welch(obs, params, n_iter=1, tol=0).params.transmat
    np.testing.assert_allclose(one_step, xi / xi.sum(axis=1, keepdims=True), rtol=1e-12)
    with pytest.raises(ValueError, match="probability zero"), np.errstate(divide="ignore"):
        hmm.expected_transitions(np.log([1.0, 0.0]), np.log(np.eye(2)), np.log([[1.0, 1.0], [0.0, 1.0]]))


# ------------------------------------------------------------------------------------ invariants
def test_baum_welch_log_likelihood_never_decreases():
    truth = _random_gaussian(3, 2, seed=6)
    obs, _ = hmm.sample_hmm(truth, 800, rng=6)
    fit = hmm.baum_welch(obs, _random_gaussian(3, 2, seed=7), n_iter=40, tol=0)
    history = fit.log_likelihood_history
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


def test_posteriors_sum_to_one_and_messages_are_consistent():
    params = _random_categorical(4, 3, seed=8, zeros=True)
    obs, _ = hmm.sample_hmm(params, 400, rng=8)
    log_start, log_trans, log_em = hmm.log_inputs(obs, params)
    log_prob, gamma = hmm.posteriors(log_start, log_trans, log_em)
    np.testing.assert_allclose(gamma.sum(axis=1), 1.0, atol=1e-12)
    _, log_alpha = hmm.forward(log_start, log_trans, log_em)
    log_beta = hmm.backward(log_start, log_trans, log_em)
    np.testing.assert_allclose(logsumexp(log_alpha + log_beta, axis=1), log_prob, rtol=1e-12)
    assert not np.isnan(log_alpha).any() and not np.isnan(log_beta).any()
    assert hmm.viterbi(log_start, log_trans, log_em)[0] <= log_prob


def test_wrapper_fit_and_sample():
    truth = _random_categorical(3, 4, seed=12)
    obs, _ = hmm.sample_hmm(truth, 500, rng=12)
    model = hmm.HMM(_random_categorical(3, 4, seed=13)).fit(obs, n_iter=5, tol=0)
    ref = hmm.baum_welch(obs, _random_categorical(3, 4, seed=13), n_iter=5, tol=0)
    np.testing.assert_array_equal(model.params.transmat, ref.params.transmat)
    np.testing.assert_array_equal(model.log_likelihood_history_, ref.log_likelihood_history)
    sampled, states = model.sample(50, rng=0)
    assert sampled.shape == states.shape == (50,)
    with pytest.raises(TypeError, match="params must be CategoricalHMMParams or GaussianHMMParams"):
        hmm.HMM(truth.transmat)


def test_converged_fit_stops_early_and_non_convergence_warns():
    truth = _random_categorical(2, 3, seed=9)
    obs, _ = hmm.sample_hmm(truth, 300, rng=9)
    fit = hmm.baum_welch(obs, _random_categorical(2, 3, seed=10), n_iter=500, tol=1e-4)
    assert fit.converged and fit.n_iter < 500
    with pytest.warns(ConvergenceWarning, match="n_iter=2"):
        fit = hmm.baum_welch(obs, _random_categorical(2, 3, seed=10), n_iter=2, tol=1e-12)
    assert not fit.converged


def _random_start(rng):
    """A random start for 3 states and 4 symbols: sticky transitions, random emission rows."""
    return hmm.CategoricalHMMParams(np.full(3, 1 / 3), 0.6 * np.eye(3) + 0.4 * rng.dirichlet(np.ones(3), size=3),
                                    rng.dirichlet(np.ones(4), size=3))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_n_init_keeps_the_best_of_the_runs_from_the_same_seed():
    obs, _ = hmm.sample_hmm(_random_categorical(3, 4, seed=30), 300, rng=30)
    options = dict(n_iter=40, tol=1e-7)
    best = hmm.baum_welch(obs, _random_start, n_init=4, rng=0, **options)
    single = hmm.baum_welch(obs, _random_start, rng=0, **options)  # the first of the four starts
    assert best.log_likelihood_history[-1] >= single.log_likelihood_history[-1]
    # the four runs by hand: starts drawn in turn from one generator seeded alike
    g = np.random.default_rng(0)
    runs = [hmm.baum_welch(obs, _random_start(g), **options) for _ in range(4)]
    np.testing.assert_allclose(runs[0].log_likelihood_history, single.log_likelihood_history, rtol=1e-12)
    kept = max(runs, key=lambda f: f.log_likelihood_history[-1])
    np.testing.assert_allclose(best.log_likelihood_history, kept.log_likelihood_history, rtol=1e-12)
    np.testing.assert_allclose(best.params.emissionprob, kept.params.emissionprob, rtol=1e-12)
    assert np.ptp([f.log_likelihood_history[-1] for f in runs]) > 1e-6  # the restarts reached different fits


def test_history_is_the_mean_log_likelihood_per_observation():
    truth, init = _random_categorical(4, 6, seed=4), _random_categorical(4, 6, seed=5)
    obs, _ = hmm.sample_hmm(truth, 600, rng=3)
    fit = hmm.baum_welch(obs, init, lengths=[250, 350], n_iter=3, tol=0)
    assert fit.log_likelihood_history[0] == pytest.approx(hmm.score(obs, init, [250, 350]) / 600, rel=1e-12)
    # tol compares consecutive entries of that history
    loose = hmm.baum_welch(obs, init, lengths=[250, 350], n_iter=500, tol=1e-3)
    assert loose.converged and abs(np.diff(loose.log_likelihood_history)[-1]) < 1e-3
    assert abs(np.diff(loose.log_likelihood_history)[-2]) >= 1e-3


def test_baum_welch_validates_once_and_not_inside_the_loop(monkeypatch):
    from course_utils import _hmm_params

    obs, _ = hmm.sample_hmm(_random_categorical(3, 4, seed=12), 200, rng=12)
    init = _random_categorical(3, 4, seed=13)
    calls = []
    original = _hmm_params.check_stochastic_matrix
    monkeypatch.setattr(_hmm_params, "check_stochastic_matrix", lambda *a, **k: calls.append(1) or original(*a, **k))
    fit = hmm.baum_welch(obs, init, n_iter=10, tol=0)
    assert fit.n_iter == 10 and calls == []  # the iterates are valid by construction
    np.testing.assert_allclose(fit.params.transmat.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(fit.params.emissionprob.sum(axis=1), 1.0, atol=1e-12)


def test_sampling_follows_the_parameters():
    params = hmm.CategoricalHMMParams([1.0, 0.0, 0.0], [[0.8, 0.2, 0.0], [0.0, 0.7, 0.3], [0.2, 0.0, 0.8]],
                                      [[0.5, 0.5, 0.0], [0.1, 0.1, 0.8], [0.0, 0.0, 1.0]])
    obs, states = hmm.sample_hmm(params, 30_000, rng=0)
    assert states[0] == 0 and obs.shape == states.shape == (30_000,)
    counts = np.zeros((3, 3))
    np.add.at(counts, (states[:-1], states[1:]), 1)
    np.testing.assert_allclose(counts / counts.sum(1, keepdims=True), params.transmat, atol=0.02)
    assert counts[params.transmat == 0].sum() == 0  # never a forbidden move
    for j in range(3):
        np.testing.assert_allclose(np.bincount(obs[states == j], minlength=3) / np.sum(states == j),
                                   params.emissionprob[j], atol=0.02)
    gparams = _random_gaussian(2, 3, seed=1)
    X, z = hmm.sample_hmm(gparams, 20_000, rng=1)
    assert X.shape == (20_000, 3)
    for j in range(2):
        np.testing.assert_allclose(X[z == j].mean(0), gparams.means[j], atol=0.06)
        np.testing.assert_allclose(X[z == j].var(0), gparams.covars[j], rtol=0.06)


# ------------------------------------------------------------------------------------- bad input
def test_bad_log_space_inputs_are_refused():
    log_start, log_trans, log_em = hmm.log_inputs(UMBRELLA_OBS, UMBRELLA)
    for fn in (hmm.forward, hmm.backward, hmm.posteriors, hmm.viterbi):
        with pytest.raises(ValueError, match=r"log_transmat must have shape \(2, 2\)"):
            fn(log_start, np.log(np.full((3, 3), 1 / 3)), log_em)
        with pytest.raises(ValueError, match=r"log_emission must have shape \(T, 2\)"):
            fn(log_start, log_trans, log_em[:, :1])
        with pytest.raises(ValueError, match="log_emission must hold log-probabilities"):
            fn(log_start, log_trans, np.where(log_em == log_em[2, 1], np.nan, log_em))
        with pytest.raises(ValueError, match="log_emission must hold log-probabilities"):
            fn(log_start, log_trans, np.where(log_em == log_em[2, 1], np.inf, log_em))
        with pytest.raises(ValueError, match=r"rows of exp\(log_transmat\) must sum to 1"):
            fn(log_start, np.log([[0.5, 0.4], [0.3, 0.7]]), log_em)
        with pytest.raises(ValueError, match=r"exp\(log_startprob\) must sum to 1"):
            fn(np.log([0.5, 0.6]), log_trans, log_em)
        with pytest.raises(ValueError, match="log_startprob must be 1-D"):
            fn(log_trans, log_trans, log_em)
    with pytest.raises(ValueError, match="probability zero"), np.errstate(divide="ignore"):
        hmm.posteriors(np.log([1.0, 0.0]), np.log(np.eye(2)), np.log([[1.0, 1.0], [0.0, 1.0]]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(startprob=[0.5, -0.5, 1.0]), "startprob must be non-negative"),
    (dict(startprob=[0.5, 0.6]), "startprob must sum to 1"),
    (dict(transmat=[[0.5, 0.4], [0.3, 0.7]]), "transmat rows must sum to 1"),
    (dict(transmat=[[1.2, -0.2], [0.3, 0.7]]), "transmat must be non-negative"),
    (dict(transmat=np.eye(3)), r"transmat must have shape \(2, 2\)"),
    (dict(emissionprob=[[0.5, 0.5]]), "emissionprob must have one row per state"),
    (dict(emissionprob=[[0.5, 0.6], [0.5, 0.5]]), "emissionprob rows must sum to 1"),
    (dict(emissionprob=[[np.nan, 1.0], [0.5, 0.5]]), "emissionprob must hold finite"),
])
def test_bad_categorical_params_are_refused(kwargs, match):
    good = dict(startprob=[0.5, 0.5], transmat=[[0.7, 0.3], [0.3, 0.7]], emissionprob=[[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match=match):
        hmm.CategoricalHMMParams(**{**good, **kwargs})


def test_bad_gaussian_params_and_observations_are_refused():
    good = dict(startprob=[0.5, 0.5], transmat=[[0.7, 0.3], [0.3, 0.7]], means=[[0.0], [1.0]], covars=[[1.0], [1.0]])
    with pytest.raises(ValueError, match="covars must be positive"):
        hmm.GaussianHMMParams(**{**good, "covars": [[1.0], [0.0]]})
    with pytest.raises(ValueError, match="means and covars must both have shape"):
        hmm.GaussianHMMParams(**{**good, "covars": [[1.0, 1.0], [1.0, 1.0]]})
    params = hmm.GaussianHMMParams(**good)
    with pytest.raises(ValueError, match="obs must hold finite numbers"):
        hmm.emission_log_likelihood([[0.0], [np.nan]], params)
    with pytest.raises(ValueError, match=r"obs must have shape \(T, 1\)"):
        hmm.emission_log_likelihood(np.zeros((4, 2)), params)
    with pytest.raises(TypeError, match="params must be CategoricalHMMParams or GaussianHMMParams"):
        hmm.emission_log_likelihood([0, 1], {"startprob": [1.0]})


def test_bad_observations_and_fit_arguments_are_refused():
    obs = np.array([0, 1, 1, 0, 1])
    with pytest.raises(ValueError, match=r"obs symbols must lie in 0..1 \(got values from 0 to 2\)"):
        hmm.emission_log_likelihood([0, 2], UMBRELLA)
    with pytest.raises(ValueError, match="obs symbols must lie in 0..1"):
        hmm.baum_welch([0, -1, 1], UMBRELLA)
    with pytest.raises(TypeError, match="obs must hold integer symbols"):
        hmm.emission_log_likelihood([0.0, 1.0], UMBRELLA)
    with pytest.raises(ValueError, match="obs must be a non-empty 1-D array"):
        hmm.emission_log_likelihood(np.zeros((2, 2), dtype=int), UMBRELLA)
    with pytest.raises(ValueError, match="lengths must sum to the number of observations 5"):
        hmm.baum_welch(obs, UMBRELLA, lengths=[2, 2])
    with pytest.raises(ValueError, match="lengths must hold positive integers"):
        hmm.baum_welch(obs, UMBRELLA, lengths=[5, 0])
    with pytest.raises(TypeError, match="lengths must be a non-empty 1-D sequence of integers"):
        hmm.baum_welch(obs, UMBRELLA, lengths=[2.5, 2.5])
    with pytest.raises(ValueError, match="n_iter must be an integer >= 1"):
        hmm.baum_welch(obs, UMBRELLA, n_iter=0)
    with pytest.raises(ValueError, match="tol must be a non-negative number"):
        hmm.baum_welch(obs, UMBRELLA, tol=-1.0)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        hmm.sample_hmm(UMBRELLA, 0)
    stuck = hmm.CategoricalHMMParams([1.0, 0.0], np.eye(2), [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="sequence 1 has probability zero"):
        hmm.baum_welch(obs, stuck, lengths=[1, 4])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(tol="1e-3"), TypeError, r"tol must be a non-negative number \(got str '1e-3'\)"),
    (dict(tol=np.nan), ValueError, r"tol must be a non-negative number \(got nan\)"),
    (dict(n_iter="10"), TypeError, "n_iter must be an integer >= 1"),
    (dict(n_iter=2.5), TypeError, "n_iter must be an integer >= 1"),
    (dict(n_init=0), ValueError, "n_init must be an integer >= 1"),
    (dict(covars_prior="0.01"), TypeError, "covars_prior must be a non-negative number"),
    (dict(covars_prior=-1.0), ValueError, "covars_prior must be a non-negative number"),
    (dict(rng="seed"), TypeError, "rng must be a numpy.random.Generator"),
])
def test_bad_baum_welch_options_name_the_parameter(kwargs, error, match):
    with pytest.raises(error, match=match):
        hmm.baum_welch(UMBRELLA_OBS, UMBRELLA, **kwargs)


def test_bad_initialisations_are_refused():
    obs, _ = hmm.sample_hmm(_random_categorical(3, 4, seed=30), 50, rng=30)
    with pytest.warns(UserWarning, match="n_init=3 is ignored: init is a fixed CategoricalHMMParams"):
        hmm.baum_welch(obs, _random_categorical(3, 4, seed=31), n_init=3, n_iter=2, tol=0)
    sizes = iter([3, 2])
    with pytest.raises(ValueError, match=r"init\(rng\) must return parameters of one type and shape"):
        hmm.baum_welch(obs, lambda rng: _random_categorical(next(sizes), 4, seed=1), n_init=2, n_iter=2, tol=0)
    with pytest.raises(TypeError, match="params must be CategoricalHMMParams or GaussianHMMParams"):
        hmm.baum_welch(obs, lambda rng: {"startprob": [1.0]}, n_iter=2)
    with pytest.raises(ValueError, match="states must be a path of 5 integer states in 0..1"):
        hmm.joint_log_prob(UMBRELLA_OBS, [0, 1, 2, 0, 0], UMBRELLA)


def test_collapsed_variance_names_the_remedy():
    # state 1 sits on a value repeated exactly: without a prior its variance collapses to zero
    obs = np.r_[np.zeros(20), np.random.default_rng(0).normal(10.0, 1.0, 30)][:, None]
    init = hmm.GaussianHMMParams([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], [[10.0], [0.0]], [[1.0], [1e-4]])
    with pytest.raises(ValueError, match="variance of state 1 collapsed.*covars_prior"):
        hmm.baum_welch(obs, init, n_iter=5, tol=0)
    fit = hmm.baum_welch(obs, init, n_iter=5, tol=0, covars_prior=1e-2)
    assert np.all(fit.params.covars > 0)
