"""Graded exercises: the checker the notebooks call, and the reference solutions it compares with.

How an exercise looks in a notebook
-----------------------------------
A *solution cell* (nbgrader metadata ``solution: true``) defines a function; its body sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``. The student release replaces that block with
``raise NotImplementedError()``. A *check cell* right after it (nbgrader ``grade: true``) calls::

    my_update_centers = cu.exercises.check(
        my_update_centers, cu.exercises.reference_update_centers,
        cases=[cu.exercises.case(X, labels, centers, label="three blobs"), ...],
        hint="Average the points of each cluster; an empty cluster keeps its old centre.",
    )

and the notebook goes on with whatever ``check`` returns: the student's function when it agrees with the
reference on every case, the reference otherwise. So an unattempted or wrong exercise never breaks the
cells after it, while a student still sees exactly what went wrong.

When the environment variable ``WORKBOOK_GRADING`` is set (the grading command sets it), an
unattempted or wrong answer raises :class:`ExerciseFailure` instead, which fails the nbgrader test cell.

Where references live
---------------------
The check cell is visible to the student, so it must not spell the solution out (STYLE.md, rule 17):
it defines no function of its own and calls only ``cu.*``. When a topic function already has the
exercise's signature, the check cell passes it directly (``cu.clustering.assign_labels``). Otherwise
the reference is a small adapter named ``reference_<what it computes>``, with the exercise's exact
signature and return type; a ``compare_*`` function is a ``compare_fn`` for statistics of random
samples; a few helpers build cases (``gan_step_case``) or wrap a function for comparison
(``with_weights``, ``forbid_in_place``). Everything is used as ``cu.exercises.<name>``, whichever file holds it:

- this module: the checker's machinery (``check``, ``compare``, ..., from the private ``_checker``) and
  the references of notebooks 01 and 02;
- ``_refs_classical``: notebooks 05-07 (mixtures, hidden Markov models);
- ``_refs_deep``: notebooks 08-10 (VAEs, GANs, flows). Each function imports torch itself, so
  ``import course_utils.exercises`` does not load torch.

Messages name every reference by its public path (``cu.exercises.<name>``, ``cu.hmm.forward``), not
by the private module that holds it. Sampling exercises are checked by the distribution of what they
draw (:func:`check_sampler` with :func:`mixture_sample_problem` or :func:`chain_sample_problem`, from
``_sampler_tests``), so that any correct order of random draws passes.
"""

from __future__ import annotations

import numpy as np

from . import clustering
from ._checker import Case, ExerciseFailure, case, check, check_sampler, check_value, compare, grading_mode
from ._refs_classical import (
    compare_chain_samples,
    compare_forward,
    compare_mixture_samples,
    compare_transmat_update,
    compare_viterbi,
    reference_bic_curve,
    reference_gmm_e_step,
    reference_gmm_m_step,
    reference_gmm_sample,
    reference_hmm_reestimate_transmat,
    reference_joint_log_prob,
    reference_sample_weather,
)
from ._refs_deep import (
    compare_differentiable,
    compare_scalar_loss,
    gan_step_case,
    loss_case,
    random_coupling_conditioner,
    reference_affine_flow_log_prob,
    reference_bernoulli_elbo,
    reference_coupling_forward,
    reference_reparameterize,
    with_weights,
)
from ._sampler_tests import chain_sample_problem, gaussian_sample_problem, mixture_sample_problem

__all__ = ["Case", "case", "check", "check_sampler", "check_value", "ExerciseFailure", "grading_mode", "compare",
           "mixture_sample_problem", "chain_sample_problem", "gaussian_sample_problem",
           # 01, 02 (below)
           "reference_update_centers", "reference_j_trace", "forbid_in_place", "compare_int_labels", "reference_gaussian_mle",
           "reference_gaussian_log_likelihood", "reference_gaussian_sample", "reference_pooled_gaussian_fit", "forbid_calls", "ForbiddenCall",
           "reference_augment", "augmentation_problem",
           # 05-07 (_refs_classical)
           "reference_sample_weather", "compare_chain_samples", "reference_joint_log_prob",
           "reference_gmm_e_step", "reference_gmm_m_step", "reference_gmm_sample", "compare_mixture_samples",
           "reference_bic_curve", "reference_hmm_reestimate_transmat", "compare_forward",
           "compare_transmat_update", "compare_viterbi",
           # 08-10 (_refs_deep)
           "reference_reparameterize", "compare_differentiable", "reference_bernoulli_elbo", "with_weights", "gan_step_case",
           "loss_case", "compare_scalar_loss", "reference_affine_flow_log_prob", "random_coupling_conditioner", "reference_coupling_forward"]
# The later notebooks' references join this namespace and __all__: 03-04 (_refs_intro), 11-12 (_refs_eval),
# 13 (_refs_style), 14 (_refs_diffusion), 15 (_refs_ethics), 16 (_refs_conclusion). None of them imports torch at import time.
for _name in ("_refs_intro", "_refs_eval", "_refs_style", "_refs_diffusion", "_refs_ethics",
              "_refs_conclusion"):
    _module = __import__(f"course_utils.{_name}", fromlist=["*"])
    globals().update({n: getattr(_module, n) for n in _module.__all__}); __all__ += _module.__all__  # noqa: E702


# --- 01 · Introduction to unsupervised learning ---------------------------------------------------

def reference_update_centers(X, labels, old_centers) -> np.ndarray:
    """The K-means update step with the exercise's signature: ``K`` is ``len(old_centers)``.

    Parameters
    ----------
    X : array_like, shape (n, D)
    labels : array_like of int, shape (n,)
        Values in ``0 .. K - 1``.
    old_centers : array_like, shape (K, D)
        Kept for clusters that have no points; not modified.

    Returns
    -------
    ndarray, shape (K, D)

    See Also
    --------
    course_utils.clustering.update_centers : the same step, with ``n_clusters`` given explicitly.

    Examples
    --------
    >>> reference_update_centers(np.array([[0.0], [2.0]]), np.array([0, 0]), np.array([[5.0], [7.0]]))
    array([[1.],
           [7.]])
    """
    return clustering.update_centers(X, labels, len(old_centers), old_centers=old_centers)


def reference_j_trace(X, centers, labels) -> tuple[float, float, float]:
    """The K-means objective J before, after the assignment and after the update step of one iteration.

    Parameters
    ----------
    X : array_like, shape (n, D)
    centers : array_like, shape (K, D)
    labels : array_like of int, shape (n,)
        Any labels in ``0 .. K - 1`` (not necessarily the nearest centres).

    Returns
    -------
    (J_before, J_after_assign, J_after_update) : tuple of float
        J for (centers, labels), for (centers, new labels) and for (new centers, new labels); an empty
        cluster keeps its old centre. The three never increase.

    See Also
    --------
    course_utils.clustering.kmeans_objective : J itself.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0]])
    >>> reference_j_trace(X, np.array([[0.0], [9.0]]), np.array([1, 1, 0]))
    (245.0, 2.0, 0.5)
    """
    new_labels = clustering.assign_labels(X, centers)
    new_centers = clustering.update_centers(X, new_labels, len(centers), old_centers=centers)
    return (clustering.kmeans_objective(X, centers, labels),
            clustering.kmeans_objective(X, centers, new_labels),
            clustering.kmeans_objective(X, new_centers, new_labels))


def forbid_in_place(fn):
    """Wrap an exercise function so that changing one of its array arguments in place raises ``ValueError``.

    :func:`check` deep-copies every case, so a function that writes into its inputs would pass and then
    break later cells (a K-means loop whose "new" centres are the old array stops at once). The wrapper
    keeps ``fn``'s name and result; its error names the argument.
    """
    import functools
    import inspect

    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        given = list(zip(names, args)) if len(args) <= len(names) else [(f"argument {i + 1}", a) for i, a in enumerate(args)]
        before = [(k, v, v.copy()) for k, v in given + list(kwargs.items()) if isinstance(v, np.ndarray)]
        result = fn(*args, **kwargs)
        for name, value, saved in before:
            if value.shape != saved.shape or not np.array_equal(value, saved, equal_nan=value.dtype.kind in "fc"):
                raise ValueError(f"{getattr(fn, '__name__', 'your function')} changed its argument {name!r} in "
                                 "place; compute the result in a new array")
        return result

    return wrapper


def compare_int_labels(expected, got) -> str | None:
    """``compare_fn`` for a labels exercise: ``got`` must be an integer NumPy array, then :func:`compare`.

    Float labels (``np.zeros(n)`` filled in a loop) equal the reference's but fail later as indices.
    """
    if not (isinstance(got, np.ndarray) and got.dtype.kind in "iu"):
        kind = f"dtype {got.dtype}" if isinstance(got, np.ndarray) else type(got).__name__
        return f"result should be a NumPy array of integers, since labels index arrays (got {kind})"
    return compare(expected, got)


# --- 02 · Generative models overview --------------------------------------------------------------

def reference_gaussian_mle(x) -> tuple[float, float]:
    r"""Maximum-likelihood mean and variance of a 1-D sample, by ``scipy.stats.norm.fit``.

    Parameters
    ----------
    x : array_like, shape (n,)

    Returns
    -------
    (mu, sigma2) : tuple of float
        :math:`\hat\mu = \frac{1}{n}\sum_i x_i` and :math:`\hat\sigma^2 = \frac{1}{n}\sum_i (x_i -
        \hat\mu)^2` (dividing by n, not n - 1); 0 for a single point.

    See Also
    --------
    reference_gaussian_log_likelihood : the log-likelihood these maximise.

    Examples
    --------
    >>> [round(v, 12) for v in reference_gaussian_mle([1.0, 2.0, 3.0, 4.0])]
    [2.5, 1.25]
    """
    from scipy import stats

    loc, scale = stats.norm.fit(np.asarray(x, dtype=float))  # scipy's maximum-likelihood fit
    return float(loc), float(scale) ** 2


def reference_gaussian_log_likelihood(x, mu, sigma2) -> float:
    r"""Total log-likelihood of a 1-D sample under :math:`\mathcal N(\mu, \sigma^2)`, in nats.

    Parameters
    ----------
    x : array_like, shape (n,)
    mu : float
    sigma2 : float
        The variance (not the standard deviation), > 0.

    Returns
    -------
    float
        :math:`\sum_i \log \mathcal N(x_i; \mu, \sigma^2)`, from ``scipy.stats.norm.logpdf`` (finite
        even where the density underflows).

    See Also
    --------
    reference_gaussian_mle : the parameters that maximise it.

    Examples
    --------
    >>> round(reference_gaussian_log_likelihood([0.0], 0.0, 1.0), 6)  # -log(2 pi) / 2
    -0.918939
    """
    from scipy import stats

    return float(stats.norm.logpdf(x, loc=mu, scale=np.sqrt(sigma2)).sum())


def reference_gaussian_sample(mu, sigma2, n, rng) -> np.ndarray:
    r"""``n`` draws, shape ``(n,)``, from :math:`\mathcal N(\mu, \sigma^2)` (``sigma2`` is the variance).

    One ``rng.normal`` call. The fallback of notebook 02's exercise 3, which :func:`check_sampler` judges
    with :func:`gaussian_sample_problem`, so a student's sampler may draw in any other way.

    >>> reference_gaussian_sample(0.0, 4.0, 3, np.random.default_rng(0)).shape
    (3,)
    """
    return rng.normal(mu, np.sqrt(sigma2), size=n)


def reference_pooled_gaussian_fit(X, y) -> tuple[np.ndarray, np.ndarray]:
    r"""Class means and the pooled within-class covariance, by scikit-learn's LDA.

    Parameters
    ----------
    X : array_like, shape (n, D)
    y : array_like of int, shape (n,)
        Classes ``0 .. C - 1``.

    Returns
    -------
    means : ndarray, shape (C, D)
    covariance : ndarray, shape (D, D)
        :math:`\frac{1}{n}\sum_i (x_i - \mu_{y_i})(x_i - \mu_{y_i})^\top`, maximum likelihood (divides
        by n), as ``LinearDiscriminantAnalysis(solver="lsqr", store_covariance=True)`` stores it.

    Examples
    --------
    >>> means, cov = reference_pooled_gaussian_fit(np.array([[0.0], [2.0], [10.0], [12.0]]),
    ...                                           np.array([0, 0, 1, 1]))
    >>> means.ravel().tolist(), cov.ravel().tolist()
    ([1.0, 11.0], [1.0])
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    lda = LinearDiscriminantAnalysis(solver="lsqr", store_covariance=True).fit(X, y)
    return lda.means_, lda.covariance_


class ForbiddenCall(Exception):
    """Raised by a :func:`forbid_calls` wrapper: the exercise's code uses a function its contract rules out."""


def forbid_calls(fn, names, *, rule: str):
    """Wrap an exercise function so that it fails, with ``rule`` as the reason, when its code uses ``names``.

    The source of ``fn``, and of the notebook's own functions it names, is read with :mod:`inspect`. A
    name counts where it is called, imported or looked up as an attribute (``np.var(x)``, ``.fit``,
    ``import var``), not as a plain variable (``var = ...``); so does any ``reference_*`` name. Code
    whose source cannot be read passes. A ``course_utils`` function (a check cell re-run after a
    failure, which returned the reference) raises ``NotImplementedError``: "not attempted".
    """
    import functools
    import inspect

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        inner = inspect.unwrap(fn)
        if (getattr(inner, "__module__", "") or "").startswith("course_utils"):
            if getattr(fn, "_workbook_stand_in", False):  # check() reports a re-run; later cells go on
                return fn(*args, **kwargs)
            raise NotImplementedError("run the cell that defines your function again")
        used = sorted(_names_used(inner, set(names), set()))
        if used:
            raise ForbiddenCall(f"your code uses {', '.join(used)}, which this exercise rules out: {rule}")
        return fn(*args, **kwargs)

    return wrapper


def _names_used(fn, names: set, seen: set) -> set:
    import inspect
    import io
    import textwrap
    import tokenize
    import types

    seen.add(fn)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        toks = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type in (tokenize.NAME, tokenize.OP)]
    except (OSError, TypeError, tokenize.TokenError, SyntaxError):
        return set()
    found = set()
    own = {b.string for a, b in zip(toks, toks[1:]) if a.string == "def"}  # the student's own functions
    for prev, tok, nxt in zip([None, *toks[:-1]], toks, [*toks[1:], None]):
        word, before, after = tok.string, prev.string if prev else "", nxt.string if nxt else ""
        if tok.type != tokenize.NAME or before == "def":
            continue
        helper = getattr(fn, "__globals__", {}).get(word)
        mine = word in own or (isinstance(helper, types.FunctionType) and helper.__module__ == fn.__module__)
        if (word in names or word.startswith("reference_")) and (before in (".", "import")
                                                                   or (after == "(" and not mine)):
            found.add(word)
        if isinstance(helper, types.FunctionType) and helper.__module__ == fn.__module__ and helper not in seen:
            found |= _names_used(helper, names, seen)
    return found


def reference_augment(X, y, n_per_class, rng) -> tuple[np.ndarray, np.ndarray]:
    """X (n, D), y (n,) in 0..C-1 -> (X_aug (n + C m, D), y_aug (n + C m,)): the real rows, then ``m =
    n_per_class`` draws per class c from N(mean_c, pooled covariance), the :func:`reference_pooled_gaussian_fit`."""
    means, cov = reference_pooled_gaussian_fit(X, y)
    X_syn = np.vstack([rng.multivariate_normal(mean, cov, size=n_per_class) for mean in means])
    return np.vstack([X, X_syn]), np.concatenate([y, np.repeat(np.arange(len(means)), n_per_class)])


def augmentation_problem(X, y, n_per_class, rng, sample, *, alpha: float = 1e-5) -> str | None:
    """``None`` if ``sample`` could come from :func:`reference_augment`, else what is off (``rng`` unused).

    The real rows come first, unchanged; each class has ``n_per_class`` synthetic rows, tested against
    its Gaussian as in :func:`mixture_sample_problem` (false-fail probability ``alpha`` in all).
    """
    from ._sampler_tests import _gaussian_problem

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if not isinstance(sample, (tuple, list)) or len(sample) != 2:
        return f"the function must return a pair (X_aug, y_aug) (got {type(sample).__name__})"
    X_aug, y_aug = np.asarray(sample[0], dtype=float), np.asarray(sample[1])
    n, C, m = len(y), int(y.max()) + 1, len(y) + (int(y.max()) + 1) * n_per_class
    if X_aug.shape != (m, X.shape[1]) or y_aug.shape != (m,):
        return f"X_aug, y_aug must have shapes {(m, X.shape[1])}, ({m},) (got {X_aug.shape}, {y_aug.shape})"
    if not (np.array_equal(X_aug[:n], X) and np.array_equal(y_aug[:n], y)):
        return f"the first {n} rows must be the real X and y, unchanged and in their order"
    counts = [int(np.sum(y_aug[n:] == c)) for c in range(C)]
    if counts != [n_per_class] * C:
        return f"expected {n_per_class} synthetic rows of every class 0..{C - 1} (got counts {counts})"
    means, cov = reference_pooled_gaussian_fit(X, y)
    for c, got in enumerate(X_aug[n:][y_aug[n:] == c] for c in range(C)):
        if problem := _gaussian_problem(got, means[c], cov, f"class {c}'s synthetic rows", alpha / C):
            if "shape is not normal" in problem:  # right mean and covariance: the numbers below would not help
                return problem
            return (f"class {c}'s synthetic rows do not look like N(its mean, the pooled covariance): mean "
                    f"{np.round(got.mean(0), 3).tolist()}, expected {np.round(means[c], 3).tolist()}; covariance "
                    f"{np.round(np.cov(got.T, bias=True), 3).tolist()}, expected {np.round(cov, 3).tolist()}")
    return None
