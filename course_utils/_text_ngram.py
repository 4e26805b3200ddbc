r"""The n-gram character model of :mod:`course_utils.text`: counts smoothed by interpolated absolute discounting.

The counts of every order 1 .. n are kept as sorted arrays of integer codes (a context of m characters is
the base-V number its ids spell), so scoring a text is a few ``searchsorted`` calls per order. Import
:class:`NGramModel` from :mod:`course_utils.text`.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_float, check_positive_int

__all__ = ["NGramModel"]


# --- the n-gram model -----------------------------------------------------------------------------

class NGramModel:
    r"""A character n-gram model smoothed by interpolated absolute discounting (Ney, Essen & Kneser 1994).

    Parameters
    ----------
    vocab : Vocabulary
    order : int
        n: each character is predicted from the ``n - 1`` before it. 0 is the uniform model (1/V for every
        character), 1 the unigram, 2 the bigram, 3 the trigram.
    discount : float
        d in (0, 1]: subtracted from every seen count and given to the next lower order.

    Notes
    -----
    With :math:`N(h, c)` the training count of character c after context h, :math:`N(h) = \sum_c N(h, c)`
    and :math:`T(h)` the number of distinct characters seen after h,

    .. math:: P_n(c \mid h) = \frac{\max(N(h, c) - d, 0) + d\,T(h)\,P_{n-1}(c \mid h')}{N(h)},

    where h' drops the oldest character of h, :math:`P_0 = 1/V`, and :math:`P_n = P_{n-1}` for a context
    never seen in training. Every row sums to one and every character keeps a positive probability. The
    first ``n - 1`` characters of a text are predicted by the lower orders from the context that exists.

    Examples
    --------
    >>> from course_utils.text import Vocabulary
    >>> vocab = Vocabulary("ab")
    >>> model = NGramModel(vocab, order=2).fit("abab")
    >>> # N(a, b) = 2 = N(a), T(a) = 1, P_1(b) = 1/2: P(b | a) = (2 - 0.75 + 0.75 * 1/2) / 2 = 0.8125
    >>> np.exp(model.next_log_probs("a")).round(4).tolist()
    [0.1875, 0.8125]
    """

    def __init__(self, vocab, order: int = 2, *, discount: float = 0.75):
        from .text import Vocabulary  # here: course_utils.text imports this module

        if not isinstance(vocab, Vocabulary):
            raise TypeError(f"vocab must be a course_utils.text.Vocabulary (got {type(vocab).__name__})")
        self.vocab = vocab
        self.order = check_positive_int(order, "order", minimum=0)
        self.discount = check_positive_float(discount, "discount")
        if self.discount > 1:
            raise ValueError(f"discount must lie in (0, 1] (got {self.discount})")
        self.tables = None  # one (keys, counts, contexts, totals, types) per order 1 .. n, set by fit

    @property
    def context_size(self) -> int:
        """How many previous characters a prediction reads: ``order - 1`` (0 for orders 0 and 1)."""
        return max(self.order - 1, 0)

    def __repr__(self) -> str:
        return f"NGramModel(order={self.order}, V={len(self.vocab)}, discount={self.discount})"

    def fit(self, text) -> NGramModel:
        """Count the n-grams of ``text`` (a str, or ids of the vocabulary) for every order 1 .. n; returns self."""
        from .text import _as_ids

        ids = _as_ids(text, self.vocab, "text")
        V = len(self.vocab)
        self.tables = []
        for m in range(1, self.order + 1):
            keys = _context_codes(ids, m - 1, V)[m - 1:] * V + ids[m - 1:]  # (N - m + 1,) code of (h, c)
            keys, counts = np.unique(keys, return_counts=True)  # sorted distinct n-grams and their counts
            contexts, starts, types = np.unique(keys // V, return_index=True, return_counts=True)
            totals = np.add.reduceat(counts, starts)  # N(h), one per distinct context
            self.tables.append((keys, counts, contexts, totals, types))
        return self

    def _check_fitted(self):
        if self.tables is None and self.order > 0:
            raise RuntimeError("this NGramModel is not fitted yet; call model.fit(train_text) first")

    def _probs(self, ids: np.ndarray, targets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """P(targets[i] | the ``lengths[i]`` characters before position i of ``ids``), for every i."""
        V, d = len(self.vocab), self.discount
        p = np.full(targets.shape, 1.0 / V)
        for m, (keys, counts, contexts, totals, types) in enumerate(self.tables or [], start=1):
            if len(contexts) == 0:  # the training text was shorter than m characters
                break
            h = _context_codes(ids, m - 1, V)  # (N,) code of the m - 1 characters before each position
            use = lengths >= m - 1
            j = np.minimum(np.searchsorted(contexts, h), len(contexts) - 1)
            seen = use & (contexts[j] == h)
            k = np.minimum(np.searchsorted(keys, h * V + targets), len(keys) - 1)
            count = np.where(keys[k] == h * V + targets, counts[k], 0)
            p_m = (np.maximum(count - d, 0.0) + d * types[j] * p) / totals[j]
            p = np.where(seen, p_m, p)
        return p

    def log_prob_chars(self, text) -> np.ndarray:
        """log P(c_i | c_{i-n+1} .. c_{i-1}) of every character of ``text``: shape (len(text),), in nats."""
        from .text import _as_ids

        self._check_fitted()
        ids = _as_ids(text, self.vocab, "text")
        return np.log(self._probs(ids, ids, np.arange(len(ids))))

    def next_log_probs(self, prefix="") -> np.ndarray:
        """log P(next character = c | prefix) for every c of the vocabulary: shape (V,), in nats."""
        from .text import _as_ids

        self._check_fitted()
        ids = _as_ids(prefix, self.vocab, "prefix") if len(prefix) else np.zeros(0, dtype=np.int64)
        return np.log(self._next_probs(ids))

    def _next_probs(self, ids: np.ndarray) -> np.ndarray:
        """P(c | ids) for every c: the context codes of one position, broadcast over the V candidates."""
        V, d = len(self.vocab), self.discount
        targets = np.arange(V)
        p = np.full(V, 1.0 / V)
        for m, (keys, counts, contexts, totals, types) in enumerate(self.tables or [], start=1):
            if len(ids) < m - 1 or len(contexts) == 0:
                break
            h = 0
            for c in ids[len(ids) - (m - 1):] if m > 1 else []:
                h = h * V + int(c)
            j = int(np.searchsorted(contexts, h))
            if j == len(contexts) or contexts[j] != h:
                continue  # unseen context: keep the lower order
            k = np.minimum(np.searchsorted(keys, h * V + targets), len(keys) - 1)
            count = np.where(keys[k] == h * V + targets, counts[k], 0)
            p = (np.maximum(count - d, 0.0) + d * types[j] * p) / totals[j]
        return p

    def sample(self, n: int, *, prefix: str = "", temperature: float = 1.0, rng=None) -> str:
        """``n`` characters drawn after ``prefix``; see :func:`sample_text`."""
        from .text import sample_text

        return sample_text(self, n, prefix=prefix, temperature=temperature, rng=rng)


def _context_codes(ids: np.ndarray, length: int, V: int) -> np.ndarray:
    """Code of the ``length`` characters before each position: sum_j ids[i - j] V^(j - 1), base V (missing
    characters before the start count as 0; callers ignore those positions). Shape (N,)."""
    code = np.zeros(len(ids), dtype=np.int64)
    for j in range(length, 0, -1):  # oldest character first: the most significant digit
        shifted = np.zeros(len(ids), dtype=np.int64)
        shifted[j:] = ids[:len(ids) - j]
        code = code * V + shifted
    return code
