"""References and comparators for the exercises of notebooks 03-04 (used as ``cu.exercises.<name>``).

Notebook 03 (generative against discriminative classifiers): Gaussian naive Bayes fitted by hand, its
posterior in log space, the linear (logistic) form of naive Bayes with a shared variance, and sampling
new points of one class. The references call :mod:`course_utils.classifiers` where it has the exercise's
contract, so the exercises are checked against the code the notebook then uses.

Notebook 04 (applications): held-out bits per character of an add-one unigram model, drawing characters
at a temperature (judged by the distribution of the draws, so any correct way of drawing passes), and an
anomaly threshold with its precision and recall (any quantile rule passes; what it flags is judged).
"""

from __future__ import annotations

import numpy as np

from . import classifiers

__all__ = ["reference_nb_fit", "reference_nb_log_posterior", "reference_nb_linear_form", "compare_linear_form",
           "reference_class_sample", "class_sample_problem",
           # 04
           "reference_unigram_bpc", "compare_bpc", "reference_temperature_sample", "temperature_sample_problem",
           "AnomalyReport", "reference_anomaly_report", "compare_anomaly_report"]


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


# --- 04 · Applications of generative models -------------------------------------------------------

def reference_unigram_bpc(train_ids, test_ids, V) -> float:
    r"""Held-out bits per character of a unigram model with add-one (Laplace) smoothing.

    :math:`P(c) = (N_c + 1) / (N + V)` from the counts :math:`N_c` of the ``N`` training ids, and
    :math:`\mathrm{bpc} = -\frac{1}{M} \sum_{j=1}^{M} \log_2 P(t_j)` over the ``M`` test ids (averaged, base 2).
    Ids lie in ``0 .. V - 1``; a character never seen in training still gets :math:`1 / (N + V)`.

    >>> round(reference_unigram_bpc([0, 0, 1], [0, 2], 3), 6)  # P = 3/6, 2/6, 1/6: (1 + log2 6) / 2
    1.792481
    """
    train_ids, test_ids = np.asarray(train_ids, dtype=np.int64), np.asarray(test_ids, dtype=np.int64)
    counts = np.bincount(train_ids, minlength=V)  # (V,)
    log2_p = np.log2(counts + 1.0) - np.log2(len(train_ids) + V)  # (V,)
    return float(-log2_p[test_ids].mean())


def compare_bpc(expected, got) -> str | None:
    """``compare_fn`` for a bits-per-character value: names the two common slips (nats, no smoothing)."""
    from ._checker import compare

    try:
        value = float(got) if not isinstance(got, (str, bytes)) else None
    except (TypeError, ValueError):
        value = None
    if value is None:
        return f"the result must be one number (got {type(got).__name__})"
    if np.isinf(value):
        return ("the result is infinite: a character of the test text that never occurs in the training text got "
                "probability 0; the add-one smoothing is there to prevent that")
    if np.isclose(value, expected * np.log(2.0), rtol=1e-6):
        return f"{value:.6g} is in nats (natural log); bits per character use log base 2 ({expected:.6g})"
    return compare(expected, value, rtol=1e-9, atol=1e-12)


def reference_temperature_sample(log_probs, temperature, n, rng) -> np.ndarray:
    r"""``n`` independent ids, shape (n,), drawn from :math:`p_T(c) \propto \exp(\text{log\_probs}_c / T)`.

    ``log_probs`` (V,) may be unnormalised (any constant added) and hold ``-inf``; ``temperature > 0``.
    By ``cu.text.apply_temperature`` and one ``rng.choice``.

    >>> reference_temperature_sample(np.log([0.5, 0.5]), 1.0, 4, np.random.default_rng(0)).shape
    (4,)
    """
    from .text import apply_temperature

    p = np.exp(apply_temperature(log_probs, temperature))  # (V,)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _pooled_counts(counts: np.ndarray, expected: np.ndarray, min_expected: float):
    """Pool every cell that expects fewer than ``min_expected`` draws into one (with the next smallest cells
    while the pool itself expects fewer): observed and expected counts of the cells that remain."""
    order = np.argsort(expected)
    small = int(np.sum(expected < min_expected))
    k = max(small, int(np.searchsorted(np.cumsum(expected[order]), min_expected)) + 1) if small else 0
    rare, common = order[:k], order[k:]
    if not k:
        return counts, expected
    return np.r_[counts[common], counts[rare].sum()], np.r_[expected[common], expected[rare].sum()]


def temperature_sample_problem(log_probs, temperature, n, rng, sample, *, alpha: float = 1e-5) -> str | None:
    r"""``None`` if ``sample`` (n,) could be n independent draws from :math:`p_T \propto p^{1/T}`, else what is off.

    Pearson's :math:`\chi^2` test of the counts against :math:`n\,p_T`, after pooling the rarest characters
    into one cell until every cell expects at least 10 draws (false-fail probability about ``alpha``);
    a draw of a character with probability 0 fails at once. ``rng`` is not used.
    """
    from scipy import special

    from .text import apply_temperature

    p = np.exp(apply_temperature(log_probs, temperature))  # (V,)
    z = np.asarray(sample)
    if z.shape != (n,):
        return f"the sample must be an array of shape ({n},): one character id per draw (got shape {z.shape})"
    if z.dtype.kind not in "iu":
        return f"the sample must hold integer ids (got dtype {z.dtype}); rng.choice or np.argmax give integers"
    if z.min() < 0 or z.max() >= len(p):
        return f"ids must lie in 0 .. {len(p) - 1} (got values from {z.min()} to {z.max()})"
    counts = np.bincount(z, minlength=len(p)).astype(float)  # (V,)
    if np.any(counts[p == 0] > 0):
        return f"{int(counts[p == 0].sum())} draws of characters whose probability is 0 (log-probability -inf)"
    obs, exp = _pooled_counts(counts[p > 0], n * p[p > 0], 10.0)
    statistic = float(((obs - exp) ** 2 / exp).sum())
    if len(obs) < 2 or special.chdtrc(len(obs) - 1, statistic) >= alpha:
        return None
    top = int(np.argmax(p))
    plain = np.exp(apply_temperature(log_probs, 1.0))[top]
    direction = "more" if temperature < 1 else "less" if temperature > 1 else "exactly"
    return (f"the draws do not follow p_T: the most likely character (id {top}) got {counts[top] / n:.3f} of the "
            f"draws, expected {p[top]:.3f} (at T = {temperature:g} it should get {direction} than its untempered "
            f"share {plain:.3f})")


class AnomalyReport(tuple):
    """``(threshold, precision, recall)`` with the case's data attached, so :func:`compare_anomaly_report`
    can judge another valid threshold by what it flags."""

    def __new__(cls, values, train_log_lik, test_log_lik, is_anomaly, rate):
        self = super().__new__(cls, values)
        self.data = (np.asarray(train_log_lik, float), np.asarray(test_log_lik, float),
                     np.asarray(is_anomaly, bool), float(rate))
        return self


def reference_anomaly_report(train_log_lik, test_log_lik, is_anomaly, rate) -> AnomalyReport:
    r"""Threshold at the ``rate`` quantile of the training log-likelihoods; precision and recall on the test set.

    A test point is flagged when its log-likelihood is below the threshold; ``is_anomaly`` (bool, like
    ``test_log_lik``) marks the injected anomalies; precision = flagged anomalies / flagged points, recall =
    flagged anomalies / anomalies. ``rate`` is a fraction (0.05 flags about 5% of the training points).

    >>> tuple(round(v, 3) for v in reference_anomaly_report([0, 1, 2, 3, 4], [-1, 0.5, 3], [True, False, False], 0.25))
    (1.0, 0.5, 1.0)
    """
    threshold = float(np.quantile(np.asarray(train_log_lik, float), rate))
    flagged = np.asarray(test_log_lik, float) < threshold
    hits = int(np.sum(flagged & np.asarray(is_anomaly, bool)))
    values = (threshold, hits / max(int(flagged.sum()), 1), hits / max(int(np.sum(is_anomaly)), 1))
    return AnomalyReport(values, train_log_lik, test_log_lik, is_anomaly, rate)


def compare_anomaly_report(expected: AnomalyReport, got) -> str | None:
    """``compare_fn``: any threshold that leaves ``rate`` of the training points below it (within one
    point: every quantile rule passes), then precision and recall of what that threshold flags."""
    train, test, anomaly, rate = expected.data
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return f"the function must return (threshold, precision, recall) (got {type(got).__name__})"
    try:
        t, precision, recall = (float(v) for v in got)
    except (TypeError, ValueError):
        return "threshold, precision and recall must be numbers"
    below = float(np.mean(train < t))
    if abs(below - rate) > 1.5 / len(train) + 1e-12:
        if abs(np.mean(train < t) - (1 - rate)) <= 1.5 / len(train):
            why = "it flags the highest log-likelihoods; anomalies are the improbable points"
        elif np.isclose(t, np.quantile(test, rate)):
            why = "it is the quantile of the test log-likelihoods; choose it from the training data only"
        elif abs(below - rate / 100) <= 1.5 / len(train):
            why = "rate is a fraction (0.05 means 5%), while np.percentile expects percent"
        else:
            why = "take the rate quantile of the training log-likelihoods"
        return f"the threshold {t:.4g} leaves {below:.1%} of the training points below it, not {rate:.1%}: {why}"
    flagged = test < t
    hits = int(np.sum(flagged & anomaly))
    want = (hits / max(int(flagged.sum()), 1), hits / max(int(anomaly.sum()), 1))
    if np.allclose((precision, recall), want[::-1]) and not np.isclose(*want):
        return "precision and recall are swapped: precision divides by the flagged points, recall by the anomalies"
    for above in (test > t, test >= t):  # the right threshold, the wrong side of it
        up = int(np.sum(above & anomaly))
        if np.allclose((precision, recall), (up / max(int(above.sum()), 1), up / max(int(anomaly.sum()), 1))) \
                and not np.allclose((precision, recall), want):
            return ("you flag the test points above the threshold; anomalies are the improbable points, so flag "
                    "those below it")
    for name, g, w in (("precision", precision, want[0]), ("recall", recall, want[1])):
        if not np.isclose(g, w, rtol=1e-9, atol=1e-12):
            return (f"the threshold {t:.4g} should flag the {int(flagged.sum())} test points below it, {hits} of them "
                    f"anomalies (of {int(anomaly.sum())}): {name} should be {w:.6g} (got {g:.6g})")
    return None
