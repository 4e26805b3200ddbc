"""Notebook 05's sampling checks, with the notebook's own cases: fair to correct samplers, hard on mistakes.

Exercises 1 and 2 call ``cu.exercises.check_sampler`` with ``mixture_sample_problem`` and
``chain_sample_problem`` on 5,000 draws per case. Here each case is run against two correct samplers
that use the generator in different orders, over 200 seeds (the false-fail rate must stay at most 0.1%;
the tests are designed for 1e-5), and against the commonest mistakes, which must be caught with a message
that names the problem. Run ``pytest -s`` to see the measured rates.
"""

import numpy as np
import pytest

from course_utils import exercises

N_SEEDS = 200
N = 5_000  # draws per case, as in the notebook

FORMANT_MEANS = np.array([[270.0, 2290.0], [730.0, 1090.0], [300.0, 870.0]])
FORMANT_COVS = np.array([[[35.0**2, 0.3 * 35 * 150], [0.3 * 35 * 150, 150.0**2]],
                         [[70.0**2, 0.5 * 70 * 110], [0.5 * 70 * 110, 110.0**2]],
                         [[35.0**2, 0.4 * 35 * 110], [0.4 * 35 * 110, 110.0**2]]])
MIXTURES = {  # Exercise 1's cases
    "vowels": (np.full(3, 1 / 3), FORMANT_MEANS, FORMANT_COVS),
    "1-D unbalanced": (np.array([0.9, 0.1]), np.array([[0.0], [5.0]]), np.array([[[1.0]], [[0.25]]])),
}
CHAINS = {  # Exercise 2's cases
    "sunny/rainy": (np.array([2 / 3, 1 / 3]), np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([24.0, 16.0]),
                    np.array([3.0, 3.5])),
    "3-state cycle": (np.array([1.0, 0.0, 0.0]), np.array([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.1, 0.0, 0.9]]),
                      np.array([0.0, 10.0, 20.0]), np.array([1.0, 2.0, 1.0])),
}


# --- correct samplers, drawing in different orders ---------------------------------------------------

def mixture_labels_first(weights, means, covariances, n, rng):
    """All labels, then each component's points in one call (the notebook's solution)."""
    z = rng.choice(len(weights), size=n, p=weights)
    X = np.empty((n, means.shape[1]))
    for k in range(len(weights)):
        X[z == k] = rng.multivariate_normal(means[k], covariances[k], size=int(np.sum(z == k)))
    return X, z


def mixture_normals_first(weights, means, covariances, n, rng):
    """All standard normals first, then the labels by inverse CDF; Cholesky factors, vectorised."""
    eps = rng.standard_normal((n, means.shape[1]))  # (n, D)
    z = np.minimum(np.searchsorted(np.cumsum(weights), rng.random(n), side="right"), len(weights) - 1)  # (n,)
    L = np.linalg.cholesky(covariances)  # (K, D, D)
    return means[z] + np.einsum("nij,nj->ni", L[z], eps), z


def chain_path_first(startprob, transmat, means, stds, T, rng):
    """The whole path from uniforms, then every reading at once."""
    u = rng.random(T)
    cdf = np.cumsum(transmat, axis=1)  # (N, N)
    z = np.empty(T, dtype=int)
    z[0] = min(np.searchsorted(np.cumsum(startprob), u[0], side="right"), len(startprob) - 1)
    for t in range(1, T):
        z[t] = min(np.searchsorted(cdf[z[t - 1]], u[t], side="right"), len(startprob) - 1)
    return rng.normal(means[z], stds[z]), z


def chain_day_by_day(startprob, transmat, means, stds, T, rng):
    """Each day's state and reading together (the order that failed the old check about 32% of the time)."""
    z, x = np.empty(T, dtype=int), np.empty(T)
    cdf = np.cumsum(transmat, axis=1).tolist()
    state = _pick(np.cumsum(startprob).tolist(), rng.random())
    for t in range(T):
        if t:
            state = _pick(cdf[state], rng.random())
        z[t], x[t] = state, means[state] + stds[state] * rng.standard_normal()
    return x, z


def _pick(cdf, u):
    for k, c in enumerate(cdf):
        if u < c:
            return k
    return len(cdf) - 1


# --- common mistakes ---------------------------------------------------------------------------------

def mixture_ignores_weights(weights, means, covariances, n, rng):
    return mixture_labels_first(np.full(len(weights), 1 / len(weights)), means, covariances, n, rng)


def mixture_covariance_as_std(weights, means, covariances, n, rng):
    z = rng.choice(len(weights), size=n, p=weights)
    return means[z] + np.einsum("nij,nj->ni", covariances[z], rng.standard_normal((n, means.shape[1]))), z


def mixture_labels_redrawn(weights, means, covariances, n, rng):
    X, _ = mixture_labels_first(weights, means, covariances, n, rng)
    return X, rng.choice(len(weights), size=n, p=weights)


def chain_independent_days(startprob, transmat, means, stds, T, rng):
    z = rng.choice(len(startprob), size=T, p=startprob)
    return rng.normal(means[z], stds[z]), z


def chain_column_not_row(startprob, transmat, means, stds, T, rng):
    z = np.empty(T, dtype=int)
    z[0] = rng.choice(len(startprob), p=startprob)
    for t in range(1, T):
        column = transmat[:, z[t - 1]]
        z[t] = rng.choice(len(startprob), p=column / column.sum())
    return rng.normal(means[z], stds[z]), z


def chain_variance_as_std(startprob, transmat, means, stds, T, rng):
    return chain_path_first(startprob, transmat, means, stds**2, T, rng)


def _fail_rate(problem_fn, sampler, params, seeds):
    fails = sum(problem_fn(*params, N, None, sampler(*params, N, np.random.default_rng(s))) is not None
                for s in seeds)
    return fails / len(seeds)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", [mixture_labels_first, mixture_normals_first], ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", list(MIXTURES))
def test_exercise1_check_passes_correct_samplers(name, sampler):
    rate = _fail_rate(exercises.mixture_sample_problem, sampler, MIXTURES[name], range(N_SEEDS))
    print(f"05 Exercise 1, {name}, {sampler.__name__}: false-fail rate {rate:.4f} over {N_SEEDS} seeds")
    assert rate <= 0.001


@pytest.mark.slow
@pytest.mark.parametrize("sampler", [chain_path_first, chain_day_by_day], ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", list(CHAINS))
def test_exercise2_check_passes_correct_samplers(name, sampler):
    rate = _fail_rate(exercises.chain_sample_problem, sampler, CHAINS[name], range(N_SEEDS))
    print(f"05 Exercise 2, {name}, {sampler.__name__}: false-fail rate {rate:.4f} over {N_SEEDS} seeds")
    assert rate <= 0.001


@pytest.mark.parametrize("wrong, name, phrase", [
    (mixture_ignores_weights, "1-D unbalanced", "points per component"),
    (mixture_covariance_as_std, "vowels", "component"),
    (mixture_covariance_as_std, "1-D unbalanced", "component 1"),
    (mixture_labels_redrawn, "vowels", "component"),
])
def test_exercise1_check_catches_mistakes(wrong, name, phrase):
    params = MIXTURES[name]
    for seed in range(10):
        problem = exercises.mixture_sample_problem(*params, N, None, wrong(*params, N, np.random.default_rng(seed)))
        assert problem is not None and phrase in problem, (seed, problem)


@pytest.mark.parametrize("wrong, phrase", [
    (chain_independent_days, "moves out of state"),
    (chain_column_not_row, "moves out of state 0"),
    (chain_variance_as_std, "readings in state 0"),
])
def test_exercise2_check_catches_mistakes(wrong, phrase):
    params = CHAINS["sunny/rainy"]
    for seed in range(10):
        problem = exercises.chain_sample_problem(*params, N, None, wrong(*params, N, np.random.default_rng(seed)))
        assert problem is not None and phrase in problem, (seed, problem)


def test_exercise2_column_mistake_on_the_cycle_is_an_impossible_move():
    params = CHAINS["3-state cycle"]
    problem = exercises.chain_sample_problem(*params, N, None,
                                             chain_column_not_row(*params, N, np.random.default_rng(0)))
    assert "probability 0" in problem


def test_notebook_cases_through_check_sampler(capsys):
    """The check cells' call: any correct order passes, a wrong sampler falls back to the reference."""
    cases = [exercises.case(*MIXTURES[name], N, np.random.default_rng(i + 1), label=name)
             for i, name in enumerate(MIXTURES)]
    for sampler in (mixture_labels_first, mixture_normals_first):
        assert exercises.check_sampler(sampler, exercises.reference_gmm_sample, cases,
                                       exercises.mixture_sample_problem) is sampler
    assert exercises.check_sampler(mixture_ignores_weights, exercises.reference_gmm_sample, cases,
                                   exercises.mixture_sample_problem, hint="weights") is exercises.reference_gmm_sample
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and "points per component" in out and "Hint: weights" in out
    cases = [exercises.case(*CHAINS[name], N, np.random.default_rng(i + 3), label=name)
             for i, name in enumerate(CHAINS)]
    for sampler in (chain_path_first, chain_day_by_day):
        assert exercises.check_sampler(sampler, exercises.reference_sample_weather, cases,
                                       exercises.chain_sample_problem) is sampler
    assert exercises.check_sampler(chain_independent_days, exercises.reference_sample_weather, cases,
                                   exercises.chain_sample_problem) is exercises.reference_sample_weather
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and "moves out of state" in out


def mixture_ignores_correlations(weights, means, covariances, n, rng):
    """The right variances but no covariances: the marginal spreads agree, the correlations do not."""
    z = rng.choice(len(weights), size=n, p=weights)
    sd = np.sqrt(np.diagonal(covariances, axis1=1, axis2=2))  # (K, D)
    return means[z] + sd[z] * rng.standard_normal((n, means.shape[1])), z


def test_exercise1_message_shows_the_correlations_when_the_spreads_look_right():
    params = MIXTURES["vowels"]
    for seed in range(10):
        problem = exercises.mixture_sample_problem(*params, N, None,
                                                   mixture_ignores_correlations(*params, N, np.random.default_rng(seed)))
        assert problem is not None and "correlation" in problem and "0.3" in problem.split("expected")[-1], (seed, problem)


def test_exercise3_swapped_transition_indices_are_caught_on_a_short_path():
    """Notebook 05's Exercise 3 case "5 days, one move from Sunny to Rainy": A[1, 0] is not A[0, 1]."""
    start, A, means, stds = CHAINS["sunny/rainy"]
    z, x = np.array([0, 0, 0, 1, 1]), np.array([25.0, 23.5, 21.0, 17.0, 15.5])
    right = exercises.reference_joint_log_prob(start, A, means, stds, z, x)
    swapped = right - np.log(A[0, 1]) + np.log(A[1, 0])
    assert abs(right - swapped) > 0.5
