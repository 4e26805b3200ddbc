r"""Gaussian naive Bayes: a generative classifier that models :math:`p(x, y) = p(y)\,p(x \mid y)`.

Each class :math:`c` has a prior :math:`\pi_c = P(y = c)` and, given the class, the features are
independent Gaussians (the "naive" assumption):

.. math::

    \log p(x, y = c) = \log \pi_c + \sum_{d=1}^{D} \log \mathcal N(x_d \mid \mu_{cd}, \sigma^2_{cd}),
    \qquad
    \log P(y = c \mid x) = \log p(x, y = c) - \operatorname{logsumexp}_{c'} \log p(x, y = c').

Fitting is closed-form maximum likelihood: class frequencies, class means, and variances that divide by
the class size (per class, as scikit-learn's ``GaussianNB`` does), or by the whole training set with
``shared_variance=True`` (one :math:`\sigma^2_d` per feature for all classes, pooled within classes; then
the decision boundaries are linear, like logistic regression's). Because the model describes :math:`x`
itself, a missing feature (NaN) is simply integrated out, and new points of a class can be drawn.

Example
-------
>>> import numpy as np
>>> from course_utils import classifiers
>>> X = np.array([[0.0, 1.0], [0.2, 1.4], [3.0, 5.0], [3.4, 4.6]])
>>> params = classifiers.fit_gaussian_nb(X, [0, 0, 1, 1])
>>> classifiers.predict(params, np.array([[0.1, 1.2], [3.1, np.nan]])).tolist()
[0, 1]
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ._validation import as_float_array, check_positive_int, check_probability_vector, check_rng

__all__ = ["GaussianNBParams", "fit_gaussian_nb", "log_joint", "predict_log_proba", "predict", "sample_class",
           "stratified_subsample"]


@dataclass(eq=False)
class GaussianNBParams:
    r"""Parameters of a Gaussian naive Bayes classifier with C classes and D features.

    Parameters
    ----------
    priors : array_like, shape (C,)
        Class priors :math:`\pi_c`, non-negative and summing to one.
    means : array_like, shape (C, D)
        Per-class feature means :math:`\mu_{cd}`.
    variances : array_like, shape (C, D)
        Per-class feature variances :math:`\sigma^2_{cd}` (not standard deviations), all > 0. With a
        shared variance every row is the same.
    classes : array_like, shape (C,), optional
        The label of each row, in increasing order; default ``0 .. C - 1``.
    shared_variance : bool
        Whether the variances were pooled across classes (for the record; the maths reads ``variances``).

    Raises
    ------
    ValueError
        When shapes disagree, the priors are not a probability vector, or a variance is not positive.
    """

    priors: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    classes: np.ndarray | None = None
    shared_variance: bool = False

    def __post_init__(self):
        self.priors = check_probability_vector(self.priors, "priors")
        self.means = as_float_array(self.means, "means", ndim=2)
        self.variances = as_float_array(self.variances, "variances", ndim=2)
        C, D = self.means.shape
        if self.priors.shape != (C,):
            raise ValueError(f"priors must have shape ({C},) to match means of shape {self.means.shape} "
                             f"(got {self.priors.shape})")
        if self.variances.shape != (C, D):
            raise ValueError(f"variances must have shape ({C}, {D}) to match means of shape "
                             f"{self.means.shape} (got {self.variances.shape})")
        if (self.variances <= 0).any():
            c, d = (int(i) for i in np.argwhere(self.variances <= 0)[0])
            raise ValueError(f"variances must be > 0 (got {self.variances[c, d]:.3g} for class {c}, feature {d}); "
                             "a feature that is constant within a class needs var_smoothing > 0")
        self.classes = np.arange(C) if self.classes is None else np.asarray(self.classes)
        if self.classes.shape != (C,):
            raise ValueError(f"classes must have shape ({C},) (got {self.classes.shape})")

    @property
    def n_classes(self) -> int:
        """Number of classes C."""
        return self.means.shape[0]

    @property
    def n_features(self) -> int:
        """Number of features D."""
        return self.means.shape[1]


def _check_X_y(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must be 1-D with one label per row of X, shape ({len(X)},) (got shape {y.shape})")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y must not hold NaN or inf labels")
    return X, y


def fit_gaussian_nb(X, y, *, var_smoothing: float = 1e-9, shared_variance: bool = False) -> GaussianNBParams:
    r"""Fit Gaussian naive Bayes by maximum likelihood (closed form, one pass over the data).

    Parameters
    ----------
    X : array_like, shape (n, D)
        Training features, finite.
    y : array_like, shape (n,)
        Class labels (any sortable values); every class present gets one row of the parameters.
    var_smoothing : float, default 1e-9
        As in scikit-learn: :math:`\epsilon = \text{var\_smoothing} \cdot \max_d \operatorname{Var}(X_{:,d})`
        (variances over the whole training set, dividing by n) is added to every variance, so that a
        feature that is constant within a class does not give a zero variance.
    shared_variance : bool, default False
        False: per-class variances :math:`\sigma^2_{cd} = \frac{1}{n_c}\sum_{i: y_i = c} (x_{id} - \mu_{cd})^2`
        (scikit-learn's ``GaussianNB``). True: one pooled variance per feature,
        :math:`\sigma^2_d = \frac{1}{n}\sum_i (x_{id} - \mu_{y_i d})^2`, shared by all classes.

    Returns
    -------
    GaussianNBParams
        ``priors`` :math:`n_c / n` (C,), ``means`` (C, D), ``variances`` (C, D) with :math:`\epsilon` added,
        ``classes`` the sorted distinct labels.

    Raises
    ------
    ValueError
        When X is not 2-D and finite, y does not match it, fewer than two classes are present, or a
        variance is 0 (with ``var_smoothing=0``).

    Examples
    --------
    >>> p = fit_gaussian_nb([[0.0], [2.0], [10.0], [14.0]], [0, 0, 1, 1], var_smoothing=0)
    >>> p.priors.tolist(), p.means.ravel().tolist(), p.variances.ravel().tolist()
    ([0.5, 0.5], [1.0, 12.0], [1.0, 4.0])
    >>> fit_gaussian_nb([[0.0], [2.0], [10.0], [14.0]], [0, 0, 1, 1], var_smoothing=0,
    ...                 shared_variance=True).variances.ravel().tolist()
    [2.5, 2.5]
    """
    X, y = _check_X_y(X, y)
    if isinstance(var_smoothing, bool) or not isinstance(var_smoothing, numbers.Real) \
            or not np.isfinite(var_smoothing) or var_smoothing < 0:
        raise ValueError(f"var_smoothing must be a finite number >= 0 (got {var_smoothing!r})")
    if not isinstance(shared_variance, (bool, np.bool_)):
        raise TypeError(f"shared_variance must be True or False (got {shared_variance!r})")
    classes, codes = np.unique(y, return_inverse=True)  # (C,), (n,) in 0..C-1
    if len(classes) < 2:
        raise ValueError(f"y must hold at least two classes to train a classifier (got only {classes.tolist()})")
    counts = np.bincount(codes, minlength=len(classes)).astype(float)  # (C,) n_c
    means = np.stack([X[codes == c].mean(axis=0) for c in range(len(classes))])  # (C, D) mu_cd
    if shared_variance:
        pooled = ((X - means[codes]) ** 2).mean(axis=0)  # (D,) around each point's own class mean
        variances = np.tile(pooled, (len(classes), 1))  # (C, D), identical rows
    else:
        variances = np.stack([X[codes == c].var(axis=0) for c in range(len(classes))])  # (C, D), divides by n_c
    variances = variances + var_smoothing * X.var(axis=0).max()
    if (variances <= 0).any():
        c, d = (int(i) for i in np.argwhere(variances <= 0)[0])
        raise ValueError(f"feature {d} is constant within class {classes.tolist()[c]!r}, so its variance is 0; "
                         "use var_smoothing > 0 (the default is 1e-9)")
    return GaussianNBParams(priors=counts / len(X), means=means, variances=variances, classes=classes,
                            shared_variance=bool(shared_variance))


def _check_params(params) -> None:
    if not isinstance(params, GaussianNBParams):
        raise TypeError(f"params must be a GaussianNBParams, as fit_gaussian_nb returns (got {type(params).__name__})")


def _check_features(params: GaussianNBParams, X) -> np.ndarray:
    X = as_float_array(X, "X", ndim=2, finite=False)
    if X.shape[1] != params.n_features:
        raise ValueError(f"X must have {params.n_features} columns, the features the model was fitted on "
                         f"(got shape {X.shape})")
    if np.isinf(X).any():
        raise ValueError("X must not hold inf; mark a missing feature with NaN instead")
    return X


def log_joint(params: GaussianNBParams, X) -> np.ndarray:
    r"""Log joint densities :math:`\log p(x_{\text{obs}}, y = c)` of every row and class, in nats.

    Parameters
    ----------
    params : GaussianNBParams
    X : array_like, shape (n, D)
        NaN marks a missing feature; it is marginalised out. Under the naive model that just drops its
        factor: :math:`\int \mathcal N(x_d \mid \mu_{cd}, \sigma^2_{cd})\,dx_d = 1`.

    Returns
    -------
    ndarray, shape (n, C)
        :math:`\log \pi_c + \sum_{d\ \text{observed}} \log \mathcal N(x_d \mid \mu_{cd}, \sigma^2_{cd})`;
        a row with every feature missing gets :math:`\log \pi_c`.
    """
    _check_params(params)
    X = _check_features(params, X)
    observed = ~np.isnan(X)  # (n, D)
    joint = np.empty((len(X), params.n_classes))  # (n, C)
    for c in range(params.n_classes):  # in scikit-learn's order of operations, so that the sums agree to rounding
        log_norm = np.where(observed, np.log(2.0 * np.pi * params.variances[c]), 0.0)  # (n, D)
        sq = np.where(observed, (X - params.means[c]) ** 2 / params.variances[c], 0.0)  # (n, D); NaN -> 0
        joint[:, c] = np.log(params.priors[c]) + (-0.5 * np.sum(log_norm, axis=1) - 0.5 * np.sum(sq, axis=1))
    return joint


def predict_log_proba(params: GaussianNBParams, X) -> np.ndarray:
    r"""Log posterior class probabilities :math:`\log P(y = c \mid x_{\text{obs}})`, by Bayes' rule in log space.

    Parameters
    ----------
    params : GaussianNBParams
    X : array_like, shape (n, D)
        NaN marks a missing feature, which is marginalised out (see :func:`log_joint`).

    Returns
    -------
    ndarray, shape (n, C)
        Columns in the order of ``params.classes``; ``exp`` of each row sums to one. Equals
        ``GaussianNB.predict_log_proba`` (per-class variances, same ``var_smoothing``) on complete rows.

    Raises
    ------
    ValueError
        When X does not have the model's number of columns, or holds inf.

    Examples
    --------
    >>> p = fit_gaussian_nb([[0.0, 0.0], [1.0, 1.0], [4.0, 4.0], [5.0, 5.0]], [0, 0, 1, 1])
    >>> np.exp(predict_log_proba(p, [[np.nan, np.nan]])).round(3).tolist()  # nothing observed: the priors
    [[0.5, 0.5]]
    """
    joint = log_joint(params, X)  # (n, C)
    return joint - logsumexp(joint, axis=1, keepdims=True)


def predict(params: GaussianNBParams, X) -> np.ndarray:
    """The most probable class of every row, shape (n,), as labels from ``params.classes`` (NaN = missing)."""
    return params.classes[np.argmax(log_joint(params, X), axis=1)]


def sample_class(params: GaussianNBParams, label, n, rng=None) -> np.ndarray:
    r"""Draw n new points of one class from the fitted model: :math:`x_d \sim \mathcal N(\mu_{cd}, \sigma^2_{cd})`.

    Parameters
    ----------
    params : GaussianNBParams
    label
        One of ``params.classes``.
    n : int
        Number of points.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ndarray, shape (n, D)
        Independent features given the class, as the model assumes (so no correlations between them).

    Examples
    --------
    >>> p = fit_gaussian_nb([[0.0, 0.0], [1.0, 1.0], [4.0, 4.0], [5.0, 5.0]], [0, 0, 1, 1])
    >>> sample_class(p, 1, 3, rng=0).shape
    (3, 2)
    """
    _check_params(params)
    where = np.flatnonzero(params.classes == label) if np.ndim(label) == 0 else []
    if len(where) != 1:
        raise ValueError(f"label must be one of the classes {params.classes.tolist()} (got {label!r})")
    n = check_positive_int(n, "n")
    rng = check_rng(rng)
    c = int(where[0])
    eps = rng.standard_normal((n, params.n_features))  # (n, D)
    return params.means[c] + np.sqrt(params.variances[c]) * eps  # (n, D)


def stratified_subsample(y, m, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """A random training set of ``m`` rows that holds every class at least once, and the other rows.

    One row of each class is drawn first, the other ``m - C`` uniformly from the rest, so small training
    sets (``m`` a little above the number of classes C) are possible, as learning curves need.

    Parameters
    ----------
    y : array_like, shape (n,)
        Class labels.
    m : int
        Training-set size, ``C <= m < n``.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    train, test : ndarray of int, shapes (m,) and (n - m,)
        Row indices; together a permutation of ``0 .. n - 1``.

    Examples
    --------
    >>> train, test = stratified_subsample([0, 0, 0, 1, 1, 2], 3, rng=0)
    >>> sorted(np.asarray([0, 0, 0, 1, 1, 2])[train].tolist()), len(test)
    ([0, 1, 2], 3)
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (got shape {y.shape})")
    classes = np.unique(y)
    m = check_positive_int(m, "m")
    if not len(classes) <= m < len(y):
        raise ValueError(f"m must be at least the number of classes ({len(classes)}) and below the number of "
                         f"rows ({len(y)}) (got {m})")
    rng = check_rng(rng)
    firsts = np.array([rng.choice(np.flatnonzero(y == c)) for c in classes])  # (C,) one row per class
    rest = rng.permutation(np.setdiff1d(np.arange(len(y)), firsts))  # (n - C,)
    return np.concatenate([firsts, rest[: m - len(classes)]]), np.sort(rest[m - len(classes):])
