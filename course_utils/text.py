r"""Character-level text models: a vocabulary, a corpus that ships with Python, n-gram and neural models.

- :class:`Vocabulary` maps characters to integer ids and back.
- :func:`load_pydoc_corpus` reads Python's own help texts (``pydoc_data.topics``, about 465k characters of
  English with code examples), cleans them to printable ASCII and splits them into training and held-out
  text, the same way every time.
- :class:`NGramModel` (in ``_text_ngram``) counts characters after contexts of ``order - 1`` characters and smooths the counts by
  interpolated absolute discounting (a Kneser-Ney-lite: the lower orders are ordinary relative frequencies,
  not continuation counts).
- :class:`CharMLP` and :func:`train_char_model` (in ``_text_neural``): a small neural model over a window of
  the previous characters, trained on the shared training core.
- :func:`bits_per_char` scores either kind on held-out text; :func:`sample_text` draws from either kind with
  a temperature.

Every model scores *every* character of a text: the first characters are predicted from the shorter context
that exists (the n-gram model drops to a lower order, the neural model pads on the left), so the numbers of
different models are comparable. Log-probabilities are natural logs; :func:`bits_per_char` reports base 2.
"""

from __future__ import annotations

import math

import numpy as np

from ._text_neural import CharHistory, CharMLP, train_char_model
from ._text_ngram import NGramModel
from ._validation import check_positive_float, check_positive_int, check_rng

__all__ = ["Vocabulary", "clean_text", "load_pydoc_corpus", "NGramModel", "CharMLP", "train_char_model",
           "CharHistory", "bits_per_char", "apply_temperature", "sample_text", "ASCII_ALPHABET"]

#: The characters :func:`clean_text` keeps: newline and the 95 printable ASCII characters (space to ``~``).
ASCII_ALPHABET = "\n" + "".join(chr(i) for i in range(32, 127))

# typographic characters of the help texts, spelled in ASCII by clean_text
_REPLACEMENTS = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u2014": "-",
                 "\u2013": "-", "\t": "    ", "\r": ""}


# --- vocabulary -----------------------------------------------------------------------------------

class Vocabulary:
    """A mapping between characters and integer ids ``0 .. V-1`` (ids follow the order of ``chars``).

    Parameters
    ----------
    chars : str or iterable of str
        The distinct characters, e.g. :data:`ASCII_ALPHABET` or ``sorted(set(text))``.
    unknown : str, optional
        What :meth:`encode` does with a character outside the vocabulary. ``None`` (the default) raises a
        ``ValueError`` naming the character and its position; a character of the vocabulary (e.g. ``"?"``)
        stands in for every unknown one. Nothing is ever dropped silently.

    Raises
    ------
    ValueError
        For an empty vocabulary, repeated characters, entries longer than one character, or an
        ``unknown`` that is not in the vocabulary.

    Examples
    --------
    >>> vocab = Vocabulary("abc")
    >>> vocab.encode("cab").tolist(), vocab.decode([0, 1]), len(vocab)
    ([2, 0, 1], 'ab', 3)
    """

    def __init__(self, chars, unknown: str | None = None):
        chars = list(chars)
        if not chars:
            raise ValueError("chars must hold at least one character (got none)")
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"chars must be single characters (got {bad[0]!r})")
        if len(set(chars)) != len(chars):
            repeated = sorted({c for c in chars if chars.count(c) > 1})
            raise ValueError(f"chars must be distinct (got {repeated!r} more than once)")
        self.chars = "".join(chars)
        self.index = {c: i for i, c in enumerate(chars)}
        if unknown is not None and unknown not in self.index:
            raise ValueError(f"unknown must be None or a character of the vocabulary (got {unknown!r})")
        self.unknown = unknown

    @classmethod
    def from_text(cls, text: str, unknown: str | None = None) -> Vocabulary:
        """The vocabulary of the distinct characters of ``text``, in sorted order."""
        return cls(sorted(set(_check_text(text, "text"))), unknown=unknown)

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters, unknown={self.unknown!r})"

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text``: an int64 array of shape (len(text),).

        Raises
        ------
        ValueError
            For a character outside the vocabulary when ``unknown`` is ``None``.
        """
        text = _check_text(text, "text", allow_empty=True)
        fallback = None if self.unknown is None else self.index[self.unknown]
        ids = np.empty(len(text), dtype=np.int64)
        for i, c in enumerate(text):
            j = self.index.get(c, fallback)
            if j is None:
                raise ValueError(f"text holds {c!r} at position {i}, which is not in the vocabulary of "
                                 f"{len(self)} characters; clean the text first (clean_text) or build the "
                                 f"vocabulary with unknown='?'")
            ids[i] = j
        return ids

    def decode(self, ids) -> str:
        """The text spelled by the ids (any integer sequence with values in ``0 .. V-1``)."""
        ids = _check_ids(ids, len(self), "ids", allow_empty=True)
        return "".join(self.chars[i] for i in ids)


def _check_text(text, name: str, *, allow_empty: bool = False) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str (got {type(text).__name__})")
    if not text and not allow_empty:
        raise ValueError(f"{name} must not be empty (got '')")
    return text


def _check_ids(ids, vocab_size: int, name: str, *, allow_empty: bool = False) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.size == 0:
        if allow_empty:
            return arr.astype(np.int64).reshape(0)
        raise ValueError(f"{name} must not be empty")
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be a 1-D sequence of integer ids (got shape {arr.shape}, dtype {arr.dtype})")
    if arr.min() < 0 or arr.max() >= vocab_size:
        raise ValueError(f"{name} must lie in 0 .. {vocab_size - 1} (got values from {arr.min()} to {arr.max()})")
    return arr.astype(np.int64)


def _as_ids(text, vocab: Vocabulary, name: str) -> np.ndarray:
    """A str is encoded with ``vocab``; an integer sequence is checked against it."""
    if isinstance(text, str):
        return vocab.encode(_check_text(text, name))
    if not np.issubdtype(np.asarray(text).dtype, np.integer):
        raise TypeError(f"{name} must be a str or a 1-D sequence of integer ids (got {type(text).__name__})")
    return _check_ids(text, len(vocab), name)


# --- the corpus -----------------------------------------------------------------------------------

def clean_text(text: str) -> str:
    """Spell typographic quotes, dashes and ellipses in ASCII, tabs as four spaces, and drop every other
    character outside :data:`ASCII_ALPHABET` (in the help texts: one ``ß`` twice and one ``°``).

    Examples
    --------
    >>> clean_text("\u201cna\u00efve\u201d \u2014 ok\u2026")
    '"nave" - ok...'
    """
    text = _check_text(text, "text", allow_empty=True)
    for old, new in _REPLACEMENTS.items():
        text = text.replace(old, new)
    keep = set(ASCII_ALPHABET)
    return "".join(c for c in text if c in keep)


def load_pydoc_corpus(*, held_out_every: int = 10) -> tuple[str, str]:
    """Python's own help texts (``pydoc_data.topics``), cleaned and split into training and held-out text.

    The topics are taken in sorted order of their names and cut into blocks at blank lines; block number
    ``held_out_every - 1, 2 * held_out_every - 1, ...`` (counting over the whole corpus) goes to the held-out
    text, every other block to the training text; blocks are joined by a blank line. The split is the same
    on every run and machine with the same Python version (the texts change a little between versions).
    Cleaning: :func:`clean_text`.

    Parameters
    ----------
    held_out_every : int
        One block in this many is held out (at least 2): 10 holds out about a tenth of the characters.

    Returns
    -------
    train, held_out : str
        With Python 3.11.7: 416,219 and 48,944 characters (10.5% held out).

    Notes
    -----
    The help texts repeat themselves (grammar rules, "Changed in version", code idioms): of the held-out
    40-character windows starting every 200 characters, 79 of 244 also occur verbatim in the training
    text. High-order n-grams profit from that, so their held-out scores are lower than on fresh English.

    Examples
    --------
    >>> train, held_out = load_pydoc_corpus()
    >>> len(held_out) < len(train)
    True
    """
    held_out_every = check_positive_int(held_out_every, "held_out_every", minimum=2)
    from pydoc_data.topics import topics

    blocks = [b for name in sorted(topics) for b in clean_text(topics[name]).split("\n\n") if b.strip()]
    train = "\n\n".join(b for i, b in enumerate(blocks) if i % held_out_every != held_out_every - 1)
    held_out = "\n\n".join(b for i, b in enumerate(blocks) if i % held_out_every == held_out_every - 1)
    return train, held_out


# --- scoring and sampling, for both kinds of model ------------------------------------------------

def bits_per_char(model, text) -> float:
    r"""The average number of bits the model needs per character of ``text``: lower is better.

    .. math:: \mathrm{bpc} = -\frac{1}{N} \sum_{i=1}^N \log_2 P(c_i \mid c_{<i})

    A uniform model over V characters scores :math:`\log_2 V`. Every character is scored (the first ones
    from the shorter context that exists).

    Parameters
    ----------
    model : NGramModel or CharMLP
        Fitted or trained.
    text : str or sequence of int
        Held-out text (or its ids).

    Returns
    -------
    float

    Examples
    --------
    >>> bits_per_char(NGramModel(Vocabulary("abcd"), order=0), "abcd")  # uniform over 4: log2 4
    2.0
    """
    if not hasattr(model, "log_prob_chars"):
        raise TypeError(f"model must be an NGramModel or a CharMLP (got {type(model).__name__})")
    return float(-np.mean(model.log_prob_chars(text)) / math.log(2.0))


def apply_temperature(log_probs, temperature: float) -> np.ndarray:
    r"""Sharpen or flatten a distribution: :math:`p_T(c) \propto p(c)^{1/T}`, returned as log-probabilities.

    T = 1 leaves it as it is; T > 1 flattens it towards uniform (higher entropy); T -> 0 puts all the mass
    on the most likely character, and ``temperature=0`` is exactly that (greedy; ties go to the lowest id).

    Parameters
    ----------
    log_probs : array, shape (V,)
        Natural log-probabilities (need not be normalised; -inf allowed).
    temperature : float
        T >= 0.

    Returns
    -------
    ndarray, shape (V,)
        Normalised log-probabilities.

    Examples
    --------
    >>> np.exp(apply_temperature(np.log([0.2, 0.8]), 0.5)).round(4).tolist()  # 0.04 : 0.64
    [0.0588, 0.9412]
    """
    temperature = check_positive_float(temperature, "temperature", allow_zero=True)
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if temperature == 0:
        out = np.full(log_probs.shape, -np.inf)
        out[np.argmax(log_probs)] = 0.0
        return out
    scaled = log_probs / temperature
    scaled = scaled - scaled.max()
    return scaled - np.log(np.exp(scaled).sum())


def sample_text(model, n: int, *, prefix: str = "", temperature: float = 1.0, rng=None) -> str:
    """Draw ``n`` characters one at a time from ``model``'s next-character distribution after ``prefix``.

    Parameters
    ----------
    model : NGramModel or CharMLP
    n : int
        Characters to draw (the prefix is not included in the result).
    prefix : str
        Text to continue; its characters must be in the model's vocabulary.
    temperature : float
        See :func:`apply_temperature`: 0 is greedy (no randomness), 1 the model, > 1 flatter.
    rng : numpy.random.Generator, int or None
        The same int gives the same text.

    Returns
    -------
    str, of length n

    Examples
    --------
    >>> model = NGramModel(Vocabulary("ab"), order=2).fit("abababab")
    >>> sample_text(model, 6, prefix="a", temperature=0)
    'bababa'
    """
    if not hasattr(model, "next_log_probs"):
        raise TypeError(f"model must be an NGramModel or a CharMLP (got {type(model).__name__})")
    n = check_positive_int(n, "n")
    temperature = check_positive_float(temperature, "temperature", allow_zero=True)
    rng = check_rng(rng)
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str (got {type(prefix).__name__})")
    model.vocab.encode(prefix)  # unknown characters fail here, before any drawing
    text, k = prefix, model.context_size
    for _ in range(n):
        p = np.exp(apply_temperature(model.next_log_probs(text[len(text) - k:]), temperature))  # (V,)
        i = int(np.argmax(p)) if temperature == 0 else int(rng.choice(len(p), p=p / p.sum()))
        text += model.vocab.chars[i]
    return text[len(prefix):]

