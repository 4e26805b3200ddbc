"""Notebook 04's exercise checks: other correct solutions pass, the common mistakes fail with a useful message."""

import math
from collections import Counter

import numpy as np
import pytest
from scipy.special import softmax

from course_utils import exercises as ex

V = 6
TRAIN = np.array([0, 1, 1, 2, 2, 2, 3, 0, 2, 1])
TEST = np.array([2, 5, 0, 4, 2])  # 4 and 5 never occur in TRAIN


# --- exercise: add-one unigram bits per character -------------------------------------------------

def unigram_loop(train_ids, test_ids, V):
    counts = Counter(int(i) for i in train_ids)
    total = len(train_ids) + V
    return -sum(math.log((counts[int(t)] + 1) / total, 2) for t in test_ids) / len(test_ids)


def unigram_unique(train_ids, test_ids, V):
    values, counts = np.unique(train_ids, return_counts=True)
    full = np.ones(V)
    full[values] += counts
    return float(-np.mean(np.log(full[test_ids] / full.sum())) / np.log(2))


def test_worked_example():
    p = np.array([3, 4, 5, 2, 1, 1]) / 16  # (N_c + 1) / (N + V) with N = 10, V = 6
    assert ex.reference_unigram_bpc(TRAIN, TEST, V) == pytest.approx(-np.mean(np.log2(p[TEST])), rel=1e-12)


@pytest.mark.parametrize("fn", [unigram_loop, unigram_unique])
def test_unigram_accepts_other_correct_solutions(fn):
    assert ex.compare_bpc(ex.reference_unigram_bpc(TRAIN, TEST, V), fn(TRAIN, TEST, V)) is None


def test_unigram_rejects_no_smoothing_nats_and_sums():
    expected = ex.reference_unigram_bpc(TRAIN, TEST, V)
    counts = np.bincount(TRAIN, minlength=V)
    with np.errstate(divide="ignore"):
        unsmoothed = float(-np.mean(np.log2(counts[TEST] / len(TRAIN))))
    assert "add-one smoothing" in ex.compare_bpc(expected, unsmoothed)
    assert "nats" in ex.compare_bpc(expected, expected * np.log(2))
    assert ex.compare_bpc(expected, expected * len(TEST)) is not None  # summed, not averaged
    test_counts = np.bincount(TEST, minlength=V)  # probabilities counted on the test text
    assert ex.compare_bpc(expected, float(-np.mean(np.log2((test_counts[TEST] + 1) / (len(TEST) + V))))) is not None
    assert "one number" in ex.compare_bpc(expected, "2.0")


# --- exercise: drawing at a temperature -----------------------------------------------------------

def zipf_log_probs(n_chars=96):
    p = 1.0 / np.arange(1, n_chars + 1) ** 1.3
    lp = np.log(p / p.sum())
    lp[7] = -np.inf  # one impossible character
    return lp


def sample_choice(log_probs, temperature, n, rng):
    return rng.choice(len(log_probs), size=n, p=softmax(log_probs / temperature))


def sample_gumbel(log_probs, temperature, n, rng):  # Gumbel-max: argmax(logits / T + Gumbel noise)
    return np.argmax(log_probs / temperature + rng.gumbel(size=(n, len(log_probs))), axis=1)


def sample_inverse_cdf(log_probs, temperature, n, rng):  # one uniform per draw, looked up in the CDF
    z = log_probs / temperature
    p = np.exp(z - z.max())
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1)


def sample_power_t(log_probs, temperature, n, rng):  # wrong: p^T instead of p^(1/T)
    return rng.choice(len(log_probs), size=n, p=softmax(log_probs * temperature))


def sample_untempered(log_probs, temperature, n, rng):  # wrong: p / T renormalised is p again
    p = np.exp(log_probs) / temperature
    return rng.choice(len(log_probs), size=n, p=p / p.sum())


N_DRAWS = 10000


@pytest.mark.parametrize("sampler, n_seeds", [(sample_choice, 300), (sample_inverse_cdf, 300), (sample_gumbel, 40)])
@pytest.mark.parametrize("temperature", [0.5, 1.5])
def test_false_fail_rate_of_correct_samplers(sampler, n_seeds, temperature):
    """Three correct samplers that draw differently (one choice, one uniform per draw, V Gumbels per draw)."""
    lp = zipf_log_probs()
    fails = sum(ex.temperature_sample_problem(lp, temperature, N_DRAWS, None,
                                              sampler(lp, temperature, N_DRAWS, np.random.default_rng(seed)))
                is not None for seed in range(n_seeds))
    assert fails == 0, f"{fails} of {n_seeds} correct samples failed (designed rate 1e-5)"


@pytest.mark.parametrize("wrong", [sample_power_t, sample_untempered])
@pytest.mark.parametrize("temperature", [0.5, 1.5])
def test_wrong_temperatures_are_caught(wrong, temperature):
    lp = zipf_log_probs()
    for seed in range(20):
        problem = ex.temperature_sample_problem(lp, temperature, N_DRAWS, None,
                                                wrong(lp, temperature, N_DRAWS, np.random.default_rng(seed)))
        assert problem is not None and "most likely character" in problem


def test_sampler_contract_messages():
    lp = zipf_log_probs()
    assert "shape" in ex.temperature_sample_problem(lp, 1.0, 10, None, np.zeros(9, dtype=int))
    assert "integer" in ex.temperature_sample_problem(lp, 1.0, 10, None, np.zeros(10))
    assert "probability is 0" in ex.temperature_sample_problem(lp, 1.0, 10, None, np.full(10, 7))
    greedy = np.full(N_DRAWS, int(np.argmax(lp)))
    assert ex.temperature_sample_problem(lp, 1.0, N_DRAWS, None, greedy) is not None


def test_check_sampler_accepts_correct_and_rejects_global_random(capsys):
    lp = zipf_log_probs()
    shifted = np.array([np.log(0.5), np.log(0.3), np.log(0.2), -np.inf]) + 700.0  # unnormalised, one impossible character
    cases = [ex.case(lp, 0.5, N_DRAWS, np.random.default_rng(1)), ex.case(shifted, 0.25, N_DRAWS, np.random.default_rng(2))]
    for fn in (sample_choice, sample_inverse_cdf):
        assert ex.check_sampler(fn, ex.reference_temperature_sample, cases, ex.temperature_sample_problem) is fn

    def global_random(log_probs, temperature, n, rng):
        return np.random.choice(len(log_probs), size=n, p=softmax(log_probs / temperature))

    assert ex.check_sampler(global_random, ex.reference_temperature_sample, cases,
                            ex.temperature_sample_problem) is ex.reference_temperature_sample

    def no_max_shift(log_probs, temperature, n, rng):  # exp overflows on the shifted case
        p = np.exp(log_probs / temperature)
        return rng.choice(len(p), size=n, p=p / p.sum())

    with np.errstate(over="ignore", invalid="ignore"):
        assert ex.check_sampler(no_max_shift, ex.reference_temperature_sample, cases,
                                ex.temperature_sample_problem) is ex.reference_temperature_sample
    assert "raised" in capsys.readouterr().out


# --- exercise: an anomaly threshold -------------------------------------------------------------

def anomaly_case(seed=0):
    rng = np.random.default_rng(seed)
    train = rng.normal(size=500)
    test = np.r_[rng.normal(size=200), rng.normal(-4.0, 1.0, size=80)]
    return train, test, np.r_[np.zeros(200, bool), np.ones(80, bool)], 0.05


def report_percentile(train, test, is_anomaly, rate):
    from sklearn.metrics import precision_score, recall_score

    t = np.percentile(train, 100 * rate, method="lower")
    flagged = test < t
    return t, precision_score(is_anomaly, flagged), recall_score(is_anomaly, flagged)


def report_sorted(train, test, is_anomaly, rate):
    t = np.sort(train)[int(rate * len(train))]
    hits = 0
    for ll, a in zip(test, is_anomaly):
        hits += bool(ll < t and a)
    return t, hits / np.sum(test < t), hits / np.sum(is_anomaly)


def report_above(train, test, is_anomaly, rate):
    """The right threshold, the wrong side: flags the likely points."""
    t = np.sort(train)[int(rate * len(train))]
    flagged = test > t
    hits = np.sum(flagged & is_anomaly)
    return t, hits / max(np.sum(flagged), 1), hits / np.sum(is_anomaly)


@pytest.mark.parametrize("fn", [report_percentile, report_sorted])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_anomaly_accepts_other_quantile_rules(fn, seed):
    args = anomaly_case(seed)
    assert ex.compare_anomaly_report(ex.reference_anomaly_report(*args), fn(*args)) is None


def test_anomaly_worked_example():
    report = ex.reference_anomaly_report([0, 1, 2, 3, 4], [-1, 0.5, 3], [True, False, False], 0.25)
    assert tuple(report) == pytest.approx((1.0, 0.5, 1.0))


@pytest.mark.parametrize("mistake, message", [
    (lambda tr, te, a, r: ex.reference_anomaly_report(tr, -te, a, r) and (np.quantile(tr, 1 - r), 0.1, 0.1),
     "highest"),
    (lambda tr, te, a, r: (np.quantile(te, r), 0.5, 0.5), "test log-likelihoods"),
    (lambda tr, te, a, r: (np.percentile(tr, r), 0.5, 0.5), "fraction"),
    (lambda tr, te, a, r: tuple(ex.reference_anomaly_report(tr, te, a, r))[::-1][2:] + tuple(
        ex.reference_anomaly_report(tr, te, a, r))[1:][::-1], "swapped"),
    (lambda tr, te, a, r: (*tuple(ex.reference_anomaly_report(tr, te, a, r))[:2], 0.123), "recall should be"),
    (lambda tr, te, a, r: (1.0, 2.0), "threshold, precision, recall"),
    (lambda tr, te, a, r: report_above(tr, te, a, r), "above the threshold"),
])
def test_anomaly_rejects_common_mistakes(mistake, message):
    args = anomaly_case(0)
    problem = ex.compare_anomaly_report(ex.reference_anomaly_report(*args), mistake(*args))
    assert problem is not None and message in problem, problem
