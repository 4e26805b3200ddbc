"""References and comparators for the exercises of notebooks 03-04 (used as ``cu.exercises.<name>``).

Notebook 03 (generative against discriminative classifiers): Gaussian naive Bayes fitted by hand, its
posterior in log space, the linear (logistic) form of naive Bayes with a shared variance, and sampling
new points of one class. The references call :mod:`course_utils.classifiers` where it has the exercise's
contract, so the exercises are checked against the code the notebook then uses.
"""

from __future__ import annotations

import numpy as np

from . import classifiers

__all__ = ["reference_nb_fit", "reference_nb_log_posterior", "reference_nb_linear_form", "compare_linear_form",
           "reference_class_sample", "class_sample_problem"]


# --- 03 · Generative against discriminative classifiers -------------------------------------------

def reference_nb_fit(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Maximum-likelihood Gaussian naive Bayes without smoothing: ``(priors (C,), means (C, D), variances (C, D))``.

    ``y`` holds the classes ``0 .. C - 1``; :math:`\pi_c = n_c / n`, :math:`\mu_{cd}` the class mean and
    :math:`\sigma^2_{cd} = \frac{1}{n_c}\sum_{i: y_i = c} (x_{id} - \mu_{cd})^2` (dividing by :math:`n_c`):
    what ``cu.classifiers.fit_gaussian_nb(X, y, var_smoothing=0)`` stores, computed here directly so that a
    feature that is constant within a class (variance 0, which the package refuses) still gets an answer.

    >>> X, y = np.array([[0.0], [2.0], [5.0], [9.0]]), np.array([0, 0, 1, 1])
    >>> [a.ravel().tolist() for a in reference_nb_fit(X, y)]
    [[0.5, 0.5], [1.0, 7.0], [1.0, 4.0]]
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    classes = np.arange(int(y.max()) + 1)  # (C,)
    priors = np.array([np.mean(y == c) for c in classes])  # (C,)
    means = np.stack([X[y == c].mean(axis=0) for c in classes])  # (C, D)
    variances = np.stack([X[y == c].var(axis=0) for c in classes])  # (C, D); 0 allowed, unlike fit_gaussian_nb
    return priors, means, variances


def _params(priors, means, variances) -> classifiers.GaussianNBParams:
    variances = np.asarray(variances, dtype=float)
    means = np.asarray(means, dtype=float)
    if variances.ndim == 1:  # one variance per feature, shared by the classes
        variances = np.tile(variances, (len(means), 1))
    return classifiers.GaussianNBParams(priors=priors, means=means, variances=variances)


def reference_nb_log_posterior(X, priors, means, variances) -> np.ndarray:
    r"""Log posteriors :math:`\log P(y = c \mid x)`, shape (n, C), by ``cu.classifiers.predict_log_proba``.

    ``priors`` (C,), ``means`` (C, D), ``variances`` (C, D) (variances, not standard deviations).

    >>> lp = reference_nb_log_posterior(np.array([[0.0]]), [0.5, 0.5], [[0.0], [2.0]], [[1.0], [1.0]])
    >>> np.exp(lp).round(3).tolist()
    [[0.881, 0.119]]
    """
    return classifiers.predict_log_proba(_params(priors, means, variances), np.asarray(X, dtype=float))


def reference_nb_linear_form(priors, means, variance) -> tuple[np.ndarray, np.ndarray]:
    r"""Weights ``W`` (C, D) and biases ``b`` (C,) of naive Bayes with a shared variance ``variance`` (D,).

    With one variance per feature for all classes the quadratic terms of :math:`\log p(x, y=c)` are the same
    for every class and cancel in Bayes' rule, so :math:`\log P(y = c \mid x) = w_c^\top x + b_c -
    \operatorname{logsumexp}_{c'}(w_{c'}^\top x + b_{c'})` with :math:`w_{cd} = \mu_{cd} / \sigma^2_d` and
    :math:`b_c = \log \pi_c - \sum_d \mu_{cd}^2 / (2\sigma^2_d)`: logistic regression's form.

    >>> W, b = reference_nb_linear_form([0.5, 0.5], [[0.0], [2.0]], [1.0])
    >>> W.tolist(), b.round(4).tolist()
    ([[0.0], [2.0]], [-0.6931, -2.6931])
    """
    priors, means = np.asarray(priors, dtype=float), np.asarray(means, dtype=float)
    variance = np.asarray(variance, dtype=float)
    W = means / variance  # (C, D)
    b = np.log(priors) - 0.5 * np.sum(means**2 / variance, axis=1)  # (C,)
    return W, b


def compare_linear_form(expected, got) -> str | None:
    """``compare_fn`` for (W, b): equal up to what softmax ignores (the same vector added to every class).

    Both are compared after subtracting class 0's row from every row (of W and of b), which leaves every
    posterior unchanged, so any correct parametrisation passes.
    """
    from ._checker import compare

    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"the function must return a pair (W, b) (got {type(got).__name__})"
    (W_e, b_e), (W_g, b_g) = (np.asarray(a, dtype=float) for a in expected), (np.asarray(a, dtype=float) for a in got)
    if W_g.shape != W_e.shape or b_g.shape != b_e.shape:
        return f"W and b must have shapes {W_e.shape} and {b_e.shape} (got {W_g.shape} and {b_g.shape})"
    for name, e, g in (("W", W_e, W_g), ("b", b_e, b_g)):
        if problem := compare(e - e[:1], g - g[:1], rtol=1e-6, atol=1e-8, path=f"{name} minus its class-0 row"):
            return problem + " (adding the same numbers to every class would not matter; these differences do)"
    return None


def reference_class_sample(means, variances, label, n, rng) -> np.ndarray:
    r"""``n`` new points of class ``label``, shape (n, D): :math:`x_d \sim \mathcal N(\mu_{\text{label},d},
    \sigma^2_{\text{label},d})`, independent, by ``cu.classifiers.sample_class``.

    >>> reference_class_sample([[0.0, 0.0], [5.0, 5.0]], [[1.0, 1.0], [1.0, 4.0]], 1, 3, np.random.default_rng(0)).shape
    (3, 2)
    """
    means = np.asarray(means, dtype=float)
    params = _params(np.full(len(means), 1 / len(means)), means, variances)
    return classifiers.sample_class(params, label, n, rng)


def class_sample_problem(means, variances, label, n, rng, sample, *, alpha: float = 1e-5) -> str | None:
    """``None`` if ``sample`` (n, D) could be n draws of class ``label`` under the naive Bayes model, else what is off.

    The rows are tested against N(means[label], diag(variances[label])) with the whitened moment and shape
    tests of :func:`course_utils.exercises.mixture_sample_problem` (false-fail probability ``alpha``);
    ``rng`` is not used. Independent features mean zero correlations: one noise draw shared by all
    features fails.
    """
    from ._sampler_tests import _gaussian_problem

    means, variances = np.asarray(means, dtype=float), np.asarray(variances, dtype=float)
    X = np.asarray(sample, dtype=float) if isinstance(sample, np.ndarray) or np.ndim(sample) == 2 else None
    if X is None or X.shape != (n, means.shape[1]):
        got = X.shape if X is not None else type(sample).__name__
        return f"the sample must be an array of shape ({n}, {means.shape[1]}): n points, one column per feature (got {got})"
    if not np.all(np.isfinite(X)):
        return "the sample contains NaN or infinite values"
    return _gaussian_problem(X, means[label], np.diag(variances[label]), f"the points of class {label}", alpha)
