"""The shape tests of the Gaussian sampler checks: the right moments are not enough.

``_gaussian_problem`` (behind :func:`gaussian_sample_problem`, :func:`mixture_sample_problem`,
:func:`chain_sample_problem` and notebook 02's ``augmentation_problem``) first tests the mean, the
variances and the correlations of the whitened sample, then its *shape*: a Kolmogorov-Smirnov test of
every whitened coordinate against N(0, 1) and one of the squared radius against chi^2_D, Bonferroni
over all the tests of a case. Here, with the cases of notebook 02's exercises 3 and 5:

- two correct samplers per check, drawing from the generator in different orders, pass on every one
  of ``N_SEEDS`` seeds (designed false-fail probability 1e-5 per case; run ``pytest -s`` to see the
  counts);
- samplers with exactly the right mean and covariance but the wrong shape, uniform noise and
  Student-t noise (5 degrees of freedom, rescaled to unit variance), fail on every seed tried, with a
  message that names the shape (or, for the heavy tails, sometimes the spread).
"""

import numpy as np
import pytest
from scipy import stats

import course_utils as cu
from course_utils import _sampler_tests as st
from course_utils import exercises as ex

N_SEEDS = 200
N_WRONG_SEEDS = 30
T_DF = 5
IRIS = cu.datasets.load_iris()
PEOPLE = cu.datasets.load_heights(n=3000, rng=0)
FEW = [0, 1, 2, 50, 51, 52, 100, 101, 102]  # 3 flowers per species

# notebook 02, exercise 3: (mu, sigma2, n), the adults' fit replaced by round numbers
EX3_PARAMS = [(1.75, 0.0095, 20_000), (0.6, 0.01, 20_001), (0.0, 4.0, 20_000), (1.75, 0.01, 1)]


def ex5_params():
    """Notebook 02, exercise 5: (X, y, n_per_class), as in its check cell."""
    rng = np.random.default_rng(5)
    X2 = rng.normal(size=(20, 2)) @ np.array([[1.0, 0.8], [0.0, 0.6]])
    y2 = np.r_[np.zeros(4, int), np.ones(10, int), np.full(6, 2)]
    return [(IRIS.X[FEW], IRIS.y[FEW], 5000), (X2, y2, 5000), (PEOPLE.X, PEOPLE.y, 5000),
            (IRIS.X[FEW], IRIS.y[FEW], 1)]


# --- noise with mean 0 and variance 1: normal (correct), uniform and Student-t (wrong shape) -----

def uniform_noise(rng, size):
    return np.sqrt(12.0) * (rng.random(size) - 0.5)


def student_t_noise(rng, size):
    return rng.standard_t(T_DF, size) * np.sqrt((T_DF - 2) / T_DF)


# --- exercise 3 samplers ---------------------------------------------------------------------------

def gauss_box_muller_pairs(mu, sigma2, n, rng):
    """Both Box-Muller outputs, from ceil(n / 2) pairs of uniforms drawn radius first."""
    m = (n + 1) // 2
    radius = np.sqrt(-2 * np.log1p(-rng.random(m)))
    angle = 2 * np.pi * rng.random(m)
    return mu + np.sqrt(sigma2) * np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:n]


def gauss_inverse_cdf_interleaved(mu, sigma2, n, rng):
    """Inverse CDF, one uniform per draw, the draws stored from last to first."""
    return (mu + np.sqrt(sigma2) * stats.norm.ppf(rng.random(n)))[::-1]


def gauss_uniform(mu, sigma2, n, rng):
    return mu + np.sqrt(sigma2) * uniform_noise(rng, n)


def gauss_student_t(mu, sigma2, n, rng):
    return mu + np.sqrt(sigma2) * student_t_noise(rng, n)


# --- exercise 5 samplers ---------------------------------------------------------------------------

def _augment_with(noise, root, X, y, n_per_class, rng, shuffled=False):
    means, cov = ex.reference_pooled_gaussian_fit(X, y)
    labels = np.repeat(np.arange(len(means)), n_per_class)
    if shuffled:
        labels = rng.permutation(labels)
    Z = noise(rng, (len(labels), X.shape[1]))
    if root == "cholesky":
        S = np.linalg.cholesky(cov)
    else:  # the symmetric square root: it mixes the noise coordinates, unlike the Cholesky factor
        vals, vecs = np.linalg.eigh(cov)
        S = vecs @ np.diag(np.sqrt(np.maximum(vals, 0))) @ vecs.T
    return np.vstack([X, means[labels] + Z @ S.T]), np.concatenate([y, labels])


def aug_by_class(X, y, n_per_class, rng):
    """One multivariate_normal call per class, the classes in order."""
    means, cov = ex.reference_pooled_gaussian_fit(X, y)
    X_syn = np.vstack([rng.multivariate_normal(mu, cov, size=n_per_class) for mu in reversed(means)])[::-1]
    labels = np.repeat(np.arange(len(means)), n_per_class)
    return np.vstack([X, X_syn]), np.concatenate([y, labels])


def aug_eigen_shuffled(X, y, n_per_class, rng):
    """Labels first, in a random order, then standard normals times the symmetric square root."""
    return _augment_with(lambda r, size: r.standard_normal(size), "eigen", X, y, n_per_class, rng, shuffled=True)


def aug_uniform_cholesky(X, y, n_per_class, rng):
    return _augment_with(uniform_noise, "cholesky", X, y, n_per_class, rng)


def aug_uniform_eigen(X, y, n_per_class, rng):
    return _augment_with(uniform_noise, "eigen", X, y, n_per_class, rng)


def aug_student_t_cholesky(X, y, n_per_class, rng):
    return _augment_with(student_t_noise, "cholesky", X, y, n_per_class, rng)


# --- the tests -------------------------------------------------------------------------------------

# Uniform noise has the right variance in every sample; heavy-tailed noise makes the sample variance
# itself scatter more than a normal's, so the spread test sometimes sees it first (it is caught either way).
SHAPE_MESSAGES = {gauss_uniform: ("shape is not normal",), aug_uniform_cholesky: ("shape is not normal",),
                  aug_uniform_eigen: ("shape is not normal",),
                  gauss_student_t: ("shape is not normal", "standard deviations"),
                  aug_student_t_cholesky: ("shape is not normal", "do not look like N(its mean")}


@pytest.mark.slow
@pytest.mark.parametrize("fn", [gauss_box_muller_pairs, gauss_inverse_cdf_interleaved], ids=lambda f: f.__name__)
def test_gaussian_check_passes_correct_samplers_on_every_seed(fn):
    fails = [(seed, mu, s2, n) for seed in range(N_SEEDS) for i, (mu, s2, n) in enumerate(EX3_PARAMS)
             if st.gaussian_sample_problem(mu, s2, n, None, fn(mu, s2, n, np.random.default_rng([seed, i])))]
    print(f"exercise 3 cases, {fn.__name__}: {len(fails)} failed cases over {N_SEEDS} seeds x {len(EX3_PARAMS)}")
    assert not fails, fails


@pytest.mark.slow
@pytest.mark.parametrize("fn", [aug_by_class, aug_eigen_shuffled], ids=lambda f: f.__name__)
def test_augmentation_check_passes_correct_samplers_on_every_seed(fn):
    params = ex5_params()
    fails = [(seed, i) for seed in range(N_SEEDS) for i, (X, y, m) in enumerate(params)
             if ex.augmentation_problem(X, y, m, None, fn(X, y, m, np.random.default_rng([seed, i])))]
    print(f"exercise 5 cases, {fn.__name__}: {len(fails)} failed cases over {N_SEEDS} seeds x {len(params)}")
    assert not fails, fails


@pytest.mark.parametrize("wrong", [gauss_uniform, gauss_student_t], ids=lambda f: f.__name__)
def test_gaussian_check_catches_the_right_moments_with_the_wrong_shape(wrong):
    for seed in range(N_WRONG_SEEDS):
        for i, (mu, s2, n) in enumerate(EX3_PARAMS[:3]):  # the single draw is checked for its shape only
            x = wrong(mu, s2, n, np.random.default_rng([seed, i]))
            assert abs(x.mean() - mu) < 0.05 * np.sqrt(s2) and abs(x.var() / s2 - 1) < 0.1  # the moments fit
            problem = st.gaussian_sample_problem(mu, s2, n, None, x)
            assert problem is not None and any(p in problem for p in SHAPE_MESSAGES[wrong]), (seed, i, problem)


@pytest.mark.parametrize("wrong", [aug_uniform_cholesky, aug_uniform_eigen, aug_student_t_cholesky],
                         ids=lambda f: f.__name__)
def test_augmentation_check_catches_the_right_moments_with_the_wrong_shape(wrong):
    for seed in range(N_WRONG_SEEDS):
        for i, (X, y, m) in enumerate(ex5_params()[:3]):  # one synthetic row per class cannot show a shape
            problem = ex.augmentation_problem(X, y, m, None, wrong(X, y, m, np.random.default_rng([seed, i])))
            assert problem is not None and any(p in problem for p in SHAPE_MESSAGES[wrong]), (seed, i, problem)


def test_the_notebook_check_names_the_shape(capsys):
    cases = [ex.case(mu, s2, n, np.random.default_rng(i)) for i, (mu, s2, n) in enumerate(EX3_PARAMS)]
    assert ex.check_sampler(gauss_uniform, ex.reference_gaussian_sample, cases,
                            ex.gaussian_sample_problem) is not gauss_uniform  # the reference stands in
    out = capsys.readouterr().out
    assert "shape is not normal" in out and "0.0% beyond 2" in out, out
    assert ex.check_sampler(gauss_box_muller_pairs, ex.reference_gaussian_sample, cases,
                            ex.gaussian_sample_problem) is gauss_box_muller_pairs
    assert "✅" in capsys.readouterr().out


def test_mixture_and_chain_checks_catch_the_wrong_shape():
    weights, means = np.array([0.35, 0.65]), np.array([[2.0, 55.0], [4.3, 80.0]])
    covs = np.array([[[0.07, 0.4], [0.4, 34.0]], [[0.17, 0.9], [0.9, 36.0]]])
    start, A = np.array([2 / 3, 1 / 3]), np.array([[0.8, 0.2], [0.4, 0.6]])
    mu_s, sd_s = np.array([24.0, 16.0]), np.array([3.0, 3.5])
    for seed in range(10):
        rng = np.random.default_rng(seed)
        z = rng.choice(2, size=20_000, p=weights)
        for noise in (uniform_noise, student_t_noise):
            X = means[z] + np.einsum("nij,nj->ni", np.linalg.cholesky(covs)[z], noise(rng, (20_000, 2)))
            problem = st.mixture_sample_problem(weights, means, covs, 20_000, None, (X, z))
            assert problem is not None and ("shape is not normal" in problem or "standard deviations" in problem), \
                (seed, noise.__name__, problem)
        states = [int(rng.choice(2, p=start))]
        for _ in range(4_999):
            states.append(int(rng.choice(2, p=A[states[-1]])))
        s = np.array(states)
        x = mu_s[s] + sd_s[s] * uniform_noise(rng, 5_000)
        problem = st.chain_sample_problem(start, A, mu_s, sd_s, 5_000, None, (x, s))
        assert problem is not None and "shape is not normal" in problem, (seed, problem)
