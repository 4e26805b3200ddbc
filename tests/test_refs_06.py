"""Notebook 06's exercise checks, run on the notebook's own cases.

Each check must accept other correct solutions (loops or vectorised code, other orders of random draws,
allowed library calls) and reject the common mistakes with a message that helps. The sampling check's
false-fail rate is measured over many seeds with three correct samplers that use the generator
differently (run ``pytest -s tests/test_refs_06.py`` to see the rates).
"""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import course_utils as cu
from course_utils import exercises

mx = cu.mixtures
N_SEEDS = 200  # the minimum (the designed false-fail rate is 1e-5 per case)

# The notebook's mixtures: the true heights mixture and the correlated 2-D "Old Faithful" demo.
HEIGHTS = (np.array([0.2, 0.5, 0.3]), np.array([[0.6], [1.6], [1.75]]),
           np.array([[[0.01]], [[0.04]], [[0.01]]]))
FAITHFUL_DEMO = (np.array([0.4, 0.6]), np.array([[2.0, 55.0], [4.3, 80.0]]),
                 np.array([[[0.1, 0.5], [0.5, 35.0]], [[0.2, 0.9], [0.9, 40.0]]]))
MIXTURES = {"heights": HEIGHTS, "2-D correlated": FAITHFUL_DEMO}


def test_the_heights_case_is_the_notebooks_mixture():
    groups = cu.datasets.HEIGHT_GROUPS
    weights, means, covariances = HEIGHTS
    assert np.allclose(weights, [g[3] for g in groups])
    assert np.allclose(means[:, 0], [g[1] for g in groups])
    assert np.allclose(np.sqrt(covariances[:, 0, 0]), [g[2] for g in groups])


# --- Exercise 3: correct samplers that draw in different orders -------------------------------------

def sample_by_component(weights, means, covariances, n, rng):
    """The solution's order: all components first, then each component's points in one call."""
    z = rng.choice(len(weights), size=n, p=weights)
    X = np.empty((n, means.shape[1]))
    for k in range(len(weights)):
        X[z == k] = rng.multivariate_normal(means[k], covariances[k], size=int((z == k).sum()))
    return X, z


def sample_normals_first(weights, means, covariances, n, rng):
    """Standard normals for every point first, then one uniform per point for its component (inverse CDF)."""
    eps = rng.standard_normal((n, means.shape[1]))
    z = np.minimum(np.searchsorted(np.cumsum(weights), rng.random(n), side="right"), len(weights) - 1)
    L = np.linalg.cholesky(covariances)  # (K, D, D)
    return means[z] + np.einsum("nij,nj->ni", L[z], eps), z


def sample_with_library(weights, means, covariances, n, rng):
    """The course's own sampler (allowed: any correct use of the generator passes)."""
    return mx.sample_gmm(mx.GMMParams(weights, means, covariances), n, rng=rng)


# --- Exercise 3: common mistakes ---------------------------------------------------------------------

def sample_ignoring_weights(weights, means, covariances, n, rng):
    return sample_by_component(np.full(len(weights), 1 / len(weights)), means, covariances, n, rng)


def sample_covariance_as_std(weights, means, covariances, n, rng):
    """``rng.normal(mu, sigma2)`` in 1-D, or ``mu + Sigma @ eps`` in D dimensions."""
    z = rng.choice(len(weights), size=n, p=weights)
    return means[z] + np.einsum("nij,nj->ni", covariances[z], rng.standard_normal((n, means.shape[1]))), z


def sample_sorted_rows(weights, means, covariances, n, rng):
    """Rows of X grouped by component, while z stays in drawing order: z[i] no longer labels row i."""
    z = rng.choice(len(weights), size=n, p=weights)
    X = np.concatenate([rng.multivariate_normal(means[k], covariances[k], size=int((z == k).sum()))
                        for k in range(len(weights))])
    return X, z


def sample_global_rng(weights, means, covariances, n, rng):
    return sample_by_component(weights, means, covariances, n, np.random.default_rng())


def notebook_cases(seed):
    """Exercise 3's check cases, as the notebook builds them for a given SEED."""
    return [exercises.case(*HEIGHTS, 20000, np.random.default_rng([seed, 31]), label="the heights mixture (D=1)"),
            exercises.case(*FAITHFUL_DEMO, 20000, np.random.default_rng([seed, 32]), label="a correlated 2-D mixture")]


@pytest.mark.slow
@pytest.mark.parametrize("sampler", [sample_by_component, sample_normals_first, sample_with_library],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", list(MIXTURES))
def test_sampling_check_false_fail_rate(name, sampler):
    params = MIXTURES[name]
    fails = sum(exercises.mixture_sample_problem(*params, 20000, None,
                                                 sampler(*params, 20000, np.random.default_rng([s, 6])))
                is not None for s in range(N_SEEDS))
    print(f"exercise 3, {name}, {sampler.__name__}: false-fail rate {fails / N_SEEDS:.4f} over {N_SEEDS} seeds")
    assert fails / N_SEEDS <= 0.001


@pytest.mark.parametrize("sampler", [sample_by_component, sample_normals_first, sample_with_library],
                         ids=lambda f: f.__name__)
def test_sampling_check_accepts_correct_samplers(sampler, capsys):
    for seed in (0, 1, 2):
        assert exercises.check_sampler(sampler, exercises.reference_gmm_sample, notebook_cases(seed),
                                       exercises.mixture_sample_problem) is sampler
        assert "right distribution on all 2 checks" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, expected", [
    (sample_ignoring_weights, "points per component"),
    (sample_covariance_as_std, "standard deviations"),
    (sample_sorted_rows, "component 0"),
    (sample_global_rng, "draw every random number from the rng argument"),
    (lambda w, m, c, n, rng: sample_by_component(w, m, c, n, rng)[0], "pair (X, z)"),
    (lambda w, m, c, n, rng: sample_by_component(w, m, c, n - 1, rng), "shape"),
], ids=["ignores weights", "covariance as std", "rows not matching z", "global rng", "X only", "n - 1 rows"])
def test_sampling_check_rejects_mistakes(wrong, expected, capsys):
    for seed in (0, 1, 2):
        result = exercises.check_sampler(wrong, exercises.reference_gmm_sample, notebook_cases(seed),
                                         exercises.mixture_sample_problem, hint="the hint")
        out = capsys.readouterr().out
        assert result is exercises.reference_gmm_sample
        assert expected in out and "Hint: the hint" in out, out


# --- Exercise 1: the E-step --------------------------------------------------------------------------

def e_step_solution(X, weights, means, covariances):
    log_joint = np.column_stack([np.log(weights[k]) + multivariate_normal.logpdf(X, means[k], covariances[k]).reshape(-1)
                                 for k in range(len(weights))])
    log_px = logsumexp(log_joint, axis=1, keepdims=True)
    return log_joint - log_px, float(log_px.mean())


def e_step_cholesky(X, weights, means, covariances):
    """Vectorised over components, by hand: whitened residuals and log-determinants from Cholesky factors."""
    L = np.linalg.cholesky(covariances)  # (K, D, D)
    diff = X[None, :, :] - means[:, None, :]  # (K, n, D)
    u = np.linalg.solve(L[:, None], diff[..., None])[..., 0]  # (K, n, D)
    D = X.shape[1]
    log_det = 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)  # (K,)
    log_pdf = -0.5 * (u**2).sum(-1) - 0.5 * (D * np.log(2 * np.pi) + log_det)[:, None]  # (K, n)
    log_joint = (np.log(weights)[:, None] + log_pdf).T  # (n, K)
    log_px = logsumexp(log_joint, axis=1)
    return log_joint - log_px[:, None], log_px.mean()


def e_step_library(X, weights, means, covariances):
    return mx.e_step(X, mx.GMMParams(weights, means, covariances))


def e_step_summed(X, weights, means, covariances):
    log_resp, mean_ll = e_step_solution(X, weights, means, covariances)
    return log_resp, mean_ll * len(X)


def e_step_naive(X, weights, means, covariances):
    with np.errstate(all="ignore"):
        joint = np.column_stack([weights[k] * multivariate_normal.pdf(X, means[k], covariances[k]).reshape(-1)
                                 for k in range(len(weights))])
        px = joint.sum(axis=1, keepdims=True)
        return np.log(joint / px), float(np.log(px).mean())


def e_step_probabilities(X, weights, means, covariances):
    log_resp, mean_ll = e_step_solution(X, weights, means, covariances)
    return np.exp(log_resp), mean_ll


def e_step_cases():
    X_h = cu.datasets.load_heights(n=1000, rng=0).X
    X_f = cu.datasets.load_old_faithful().X[:40]
    truth = dict(zip(("weights", "means", "covariances"), HEIGHTS))
    demo = dict(zip(("weights", "means", "covariances"), FAITHFUL_DEMO))
    return [exercises.case(X_h[:50], **truth, label="heights"), exercises.case(X_f, **demo, label="Old Faithful"),
            exercises.case(np.array([[0.6], [30.0]]), **truth, label="a 30 m person: needs log space"),
            exercises.case(X_h[:5], weights=np.array([1.0]), means=np.array([[1.4]]),
                           covariances=np.array([[[0.2]]]), label="a single component (K=1)")]


@pytest.mark.parametrize("fn", [e_step_solution, e_step_cholesky, e_step_library], ids=lambda f: f.__name__)
def test_e_step_check_accepts(fn, capsys):
    assert exercises.check(fn, exercises.reference_gmm_e_step, e_step_cases()) is fn
    assert "correct on all 4 checks" in capsys.readouterr().out


@pytest.mark.parametrize("fn, expected", [
    (e_step_summed, "result[1] should be"),
    (e_step_naive, "30 m person"),
    (e_step_probabilities, "result[0] differs"),
], ids=["summed log-likelihood", "exponentiates first", "probabilities, not logs"])
def test_e_step_check_rejects(fn, expected, capsys):
    assert exercises.check(fn, exercises.reference_gmm_e_step, e_step_cases(), hint="the hint") \
        is exercises.reference_gmm_e_step
    out = capsys.readouterr().out
    assert expected in out and "Hint: the hint" in out, out


# --- Exercise 2: the M-step --------------------------------------------------------------------------

def m_step_solution(X, resp, reg_covar=1e-6):
    n, D = X.shape
    Nk = resp.sum(axis=0)
    means = (resp.T @ X) / Nk[:, None]
    covs = np.empty((len(Nk), D, D))
    for k in range(len(Nk)):
        diff = X - means[k]
        covs[k] = (resp[:, k, None] * diff).T @ diff / Nk[k] + reg_covar * np.eye(D)
    return Nk / n, means, covs


def m_step_einsum(X, resp, reg_covar=1e-6):
    Nk = resp.sum(0)
    means = np.einsum("nk,nd->kd", resp, X) / Nk[:, None]
    diff = X[None] - means[:, None]  # (K, n, D)
    covs = np.einsum("nk,kni,knj->kij", resp, diff, diff) / Nk[:, None, None]
    return Nk / len(X), means, covs + reg_covar * np.eye(X.shape[1])


def m_step_point_loop(X, resp, reg_covar=1e-6):
    """Second moments accumulated point by point, then centred (a different order of sums)."""
    n, D = X.shape
    K = resp.shape[1]
    Nk, S1, S2 = np.zeros(K), np.zeros((K, D)), np.zeros((K, D, D))
    for i in range(n):
        for k in range(K):
            Nk[k] += resp[i, k]
            S1[k] += resp[i, k] * X[i]
            S2[k] += resp[i, k] * np.outer(X[i], X[i])
    means = S1 / Nk[:, None]
    covs = S2 / Nk[:, None, None] - np.einsum("ki,kj->kij", means, means) + reg_covar * np.eye(D)
    return Nk / n, means, covs


def m_step_np_cov(X, resp, reg_covar=1e-6):
    """An allowed library call: NumPy's weighted, biased covariance."""
    Nk = resp.sum(0)
    means = np.stack([np.average(X, axis=0, weights=resp[:, k]) for k in range(resp.shape[1])])
    covs = np.stack([np.atleast_2d(np.cov(X.T, aweights=resp[:, k], bias=True)) for k in range(resp.shape[1])])
    return Nk / len(X), means, covs + reg_covar * np.eye(X.shape[1])


def m_step_unbiased(X, resp, reg_covar=1e-6):
    w, m, c = m_step_solution(X, resp, 0.0)
    Nk = resp.sum(0)
    return w, m, c * (Nk / (Nk - 1))[:, None, None] + reg_covar * np.eye(X.shape[1])


def m_step_no_reg(X, resp, reg_covar=1e-6):
    return m_step_solution(X, resp, 0.0)


def m_step_reg_everywhere(X, resp, reg_covar=1e-6):
    w, m, c = m_step_solution(X, resp, 0.0)
    return w, m, c + reg_covar


def m_step_counts(X, resp, reg_covar=1e-6):
    w, m, c = m_step_solution(X, resp, reg_covar)
    return w * len(X), m, c


def m_step_cases():
    heights = cu.datasets.load_heights(n=1000, rng=0)
    X_h = heights.X[:200]
    X_f = cu.datasets.load_old_faithful().X[:40]
    resp_h = np.exp(mx.e_step(X_h, mx.GMMParams(*HEIGHTS))[0])
    resp_f = np.exp(mx.e_step(X_f, mx.GMMParams(*FAITHFUL_DEMO))[0])
    return [exercises.case(X_h, resp_h, label="heights, soft"),
            exercises.case(X_h, np.eye(3)[heights.y[:200]], label="heights, hard"),
            exercises.case(X_f, resp_f, label="Old Faithful, D=2"),
            exercises.case(X_f, resp_f, reg_covar=0.5, label="Old Faithful, reg_covar=0.5"),
            exercises.case(X_f, np.ones((40, 1)), label="one component")]


@pytest.mark.parametrize("fn", [m_step_solution, m_step_einsum, m_step_point_loop, m_step_np_cov],
                         ids=lambda f: f.__name__)
def test_m_step_check_accepts(fn, capsys):
    assert exercises.check(fn, exercises.reference_gmm_m_step, m_step_cases()) is fn
    assert "correct on all 5 checks" in capsys.readouterr().out


@pytest.mark.parametrize("fn", [m_step_unbiased, m_step_no_reg, m_step_reg_everywhere, m_step_counts],
                         ids=["divides by N_k - 1", "no reg_covar", "reg_covar off the diagonal", "counts as weights"])
def test_m_step_check_rejects(fn, capsys):
    assert exercises.check(fn, exercises.reference_gmm_m_step, m_step_cases(), hint="the hint") \
        is exercises.reference_gmm_m_step
    out = capsys.readouterr().out
    assert "wrong answer" in out and "Hint: the hint" in out, out


# --- Exercise 4: the BIC curve -----------------------------------------------------------------------

def _fits(X, k_max, seed):
    return [mx.fit_gmm(X, K, n_init=3, max_iter=200, tol=1e-4, rng=seed).params for K in range(1, k_max + 1)]


def bic_solution(X, k_max, seed):
    n, D = X.shape
    out = []
    for K, p in enumerate(_fits(X, k_max, seed), start=1):
        n_free = (K - 1) + K * D + K * D * (D + 1) // 2
        out.append(-2 * mx.log_likelihood(X, p).sum() + n_free * np.log(n))
    return np.array(out)


def bic_library(X, k_max, seed):
    return np.array([mx.bic(X, p) for p in _fits(X, k_max, seed)])


def bic_mean_ll(X, k_max, seed):
    n, D = X.shape
    return np.array([-2 * mx.log_likelihood(X, p).mean() + ((K - 1) + K * D + K * D * (D + 1) // 2) * np.log(n)
                     for K, p in enumerate(_fits(X, k_max, seed), start=1)])


def bic_square_covariances(X, k_max, seed):
    n, D = X.shape
    return np.array([-2 * mx.log_likelihood(X, p).sum() + ((K - 1) + K * D + K * D * D) * np.log(n)
                     for K, p in enumerate(_fits(X, k_max, seed), start=1)])


def bic_k_weights(X, k_max, seed):
    n, D = X.shape
    return np.array([-2 * mx.log_likelihood(X, p).sum() + (K + K * D + K * D * (D + 1) // 2) * np.log(n)
                     for K, p in enumerate(_fits(X, k_max, seed), start=1)])


def bic_cases():
    return [exercises.case(cu.datasets.load_old_faithful().X, 3, 0, label="Old Faithful"),
            exercises.case(cu.datasets.load_heights(n=1000, rng=0).X[:300], 2, 1, label="300 heights")]


@pytest.mark.parametrize("fn", [bic_solution, bic_library], ids=lambda f: f.__name__)
def test_bic_check_accepts(fn, capsys):
    assert exercises.check(fn, exercises.reference_bic_curve, bic_cases()) is fn
    assert "correct on all 2 checks" in capsys.readouterr().out


@pytest.mark.parametrize("fn", [bic_mean_ll, bic_square_covariances, bic_k_weights],
                         ids=["mean log-likelihood", "D*D per covariance", "K weights"])
def test_bic_check_rejects(fn, capsys):
    assert exercises.check(fn, exercises.reference_bic_curve, bic_cases(), hint="the hint") \
        is exercises.reference_bic_curve
    out = capsys.readouterr().out
    assert "wrong answer" in out and "Hint: the hint" in out, out
