"""Tests for course_utils.text: vocabulary, corpus, n-gram counts against brute force, temperature, the MLP."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import torch
from scipy import stats

from course_utils import text

torch.set_num_threads(1)

TINY = "abcab acbba cab caab bacab"  # 26 characters over 4 symbols


# --- vocabulary and corpus ------------------------------------------------------------------------

def test_vocabulary_round_trip_and_unknown_characters():
    vocab = text.Vocabulary.from_text(TINY)
    assert vocab.chars == " abc" and len(vocab) == 4
    ids = vocab.encode("cab a")
    assert ids.tolist() == [3, 1, 2, 0, 1] and ids.dtype == np.int64
    assert vocab.decode(ids) == "cab a"
    with pytest.raises(ValueError, match=r"'z' at position 2"):
        vocab.encode("abz")
    assert text.Vocabulary("ab?", unknown="?").encode("azb").tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match="distinct"):
        text.Vocabulary("aba")
    with pytest.raises(ValueError, match="unknown must be None or a character"):
        text.Vocabulary("ab", unknown="?")
    with pytest.raises(ValueError, match=r"ids must lie in 0 .. 3 \(got values from 0 to 7\)"):
        vocab.decode([0, 7])


def test_clean_text_rule():
    assert text.clean_text("\u2018a\u2019 \u201cb\u201d c\u2014d\u2013e f\u2026\tg \u00df\u00b0\r\n") == \
        "'a' \"b\" c-d-e f...    g \n"
    assert set(text.clean_text("".join(map(chr, range(300))))) <= set(text.ASCII_ALPHABET)
    assert len(text.ASCII_ALPHABET) == 96


def test_pydoc_corpus_is_deterministic_clean_and_split_about_a_tenth():
    train, held_out = text.load_pydoc_corpus()
    again = text.load_pydoc_corpus()
    assert (train, held_out) == again
    assert set(train) | set(held_out) <= set(text.ASCII_ALPHABET)
    share = len(held_out) / (len(train) + len(held_out))
    assert 0.07 < share < 0.13, share
    assert len(train) > 300_000
    assert held_out[:200] not in train  # held-out blocks are not copies of training blocks
    with pytest.raises(ValueError, match="held_out_every must be an integer >= 2"):
        text.load_pydoc_corpus(held_out_every=1)


# --- the n-gram model against brute-force counting ------------------------------------------------

def _brute_force_prob(train, vocab, order, d, context, c):
    """P_order(c | context) by the recursion of the NGramModel docstring, from explicit counts."""
    if order == 0:
        return 1.0 / len(vocab)
    h = context[len(context) - (order - 1):] if order > 1 else ""
    if len(context) < order - 1:
        return _brute_force_prob(train, vocab, order - 1, d, context, c)
    grams = Counter(train[i - order + 1:i + 1] for i in range(order - 1, len(train)))
    after_h = {g[-1]: n for g, n in grams.items() if g[:-1] == h}
    lower = _brute_force_prob(train, vocab, order - 1, d, context, c)
    if not after_h:
        return lower
    total = sum(after_h.values())
    return (max(after_h.get(c, 0) - d, 0) + d * len(after_h) * lower) / total


@pytest.mark.parametrize("order", [1, 2, 3])
def test_ngram_probabilities_match_brute_force_counting(order):
    vocab = text.Vocabulary.from_text(TINY)
    model = text.NGramModel(vocab, order, discount=0.6).fit(TINY)
    held = "bca cc ab"  # includes the unseen contexts "cc" and "c " (for the trigram)
    ref = [math.log(_brute_force_prob(TINY, vocab.chars, order, 0.6, held[:i], held[i]))
           for i in range(len(held))]
    np.testing.assert_allclose(model.log_prob_chars(held), ref, rtol=0, atol=1e-12)
    for prefix in ["", "a", "ca", "cc", "b c"]:
        ref = [_brute_force_prob(TINY, vocab.chars, order, 0.6, prefix, c) for c in vocab.chars]
        np.testing.assert_allclose(np.exp(model.next_log_probs(prefix)), ref, rtol=0, atol=1e-12)


def test_bigram_hand_example():
    # "abab": N(a, b) = 2 = N(a), T(a) = 1; unigram P_1(a) = P_1(b) = (2 - 0.75 + 0.75 * 2 / 2) / 4 = 1/2
    model = text.NGramModel(text.Vocabulary("ab"), 2, discount=0.75).fit("abab")
    np.testing.assert_allclose(np.exp(model.next_log_probs("a")), [0.1875, 0.8125], rtol=0, atol=1e-15)


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_ngram_distributions_sum_to_one_in_every_context(order):
    vocab = text.Vocabulary.from_text(TINY)
    model = text.NGramModel(vocab, order).fit(TINY)
    for context in itertools.product(vocab.chars, repeat=2):  # all 16 contexts, seen or not
        p = np.exp(model.next_log_probs("".join(context)))
        assert abs(p.sum() - 1.0) < 1e-12 and (p > 0).all()


def test_uniform_models_score_log2_V():
    vocab = text.Vocabulary(text.ASCII_ALPHABET)
    assert abs(text.bits_per_char(text.NGramModel(vocab, 0), "Hello, world!\n") - math.log2(96)) < 1e-12
    net = text.CharMLP(vocab, context=4, hidden_dim=8, seed=0)
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.zero_()  # equal logits: the uniform distribution
    assert abs(text.bits_per_char(net, "Hello, world!\n") - math.log2(96)) < 1e-9


def test_higher_orders_fit_the_corpus_better():
    train, held_out = text.load_pydoc_corpus()
    vocab = text.Vocabulary(text.ASCII_ALPHABET)
    bpc = [text.bits_per_char(text.NGramModel(vocab, n).fit(train), held_out) for n in range(4)]
    assert bpc[0] > bpc[1] > bpc[2] > bpc[3], bpc


# --- temperature and sampling ---------------------------------------------------------------------

def test_apply_temperature_limits_and_entropy():
    log_p = np.log([0.1, 0.6, 0.3])
    np.testing.assert_allclose(text.apply_temperature(log_p, 1.0), log_p, rtol=0, atol=1e-12)
    assert np.exp(text.apply_temperature(log_p, 0.0)).tolist() == [0.0, 1.0, 0.0]
    np.testing.assert_allclose(np.exp(text.apply_temperature(log_p, 1e-3)), [0, 1, 0], atol=1e-12)

    def entropy(T):
        q = np.exp(text.apply_temperature(log_p, T))
        return -(q * np.log(q)).sum()
    H = [entropy(T) for T in (0.25, 0.5, 1.0, 2.0, 10.0)]
    assert all(a < b for a, b in zip(H, H[1:])), H
    assert H[-1] < math.log(3) and abs(H[-1] - math.log(3)) < 0.01  # towards uniform


def test_greedy_sampling_is_the_argmax_chain():
    model = text.NGramModel(text.Vocabulary.from_text(TINY), 3).fit(TINY)
    out = text.sample_text(model, 12, prefix="ca", temperature=0)
    context = "ca"
    for c in out:
        assert c == model.vocab.chars[int(np.argmax(model.next_log_probs(context)))]
        context += c
    assert text.sample_text(model, 12, prefix="ca", temperature=1e-6, rng=5) == out


def _transition_chi2(model, seq):
    """Pearson's chi-squared of the observed transitions of ``seq`` against the bigram model's rows."""
    chi2, dof = 0.0, 0
    for prev in model.vocab.chars:
        counts = Counter(b for a, b in zip(seq, seq[1:]) if a == prev)
        observed = np.array([counts[c] for c in model.vocab.chars], dtype=float)
        expected = observed.sum() * np.exp(model.next_log_probs(prev))
        chi2 += ((observed - expected) ** 2 / expected).sum()
        dof += len(model.vocab) - 1
    return chi2, dof


def test_temperature_one_samples_follow_the_model_by_chi_squared():
    # a bigram model is a Markov chain: given the previous character, each next one is a draw from its row,
    # so the transition counts of each row are multinomial with the model's probabilities
    model = text.NGramModel(text.Vocabulary.from_text(TINY), 2).fit(TINY)
    chi2, dof = _transition_chi2(model, "a" + model.sample(6000, prefix="a", temperature=1.0, rng=0))
    # one fixed seed: if the sampler is right the statistic is a draw from chi2(dof); p > 0.001 it is
    assert stats.chi2.sf(chi2, dof) > 1e-3, (chi2, dof)
    # the same test rejects samples drawn at the wrong temperature
    chi2_hot, _ = _transition_chi2(model, "a" + model.sample(6000, prefix="a", temperature=2.0, rng=0))
    assert stats.chi2.sf(chi2_hot, dof) < 1e-6, chi2_hot


def test_higher_temperature_gives_more_varied_text():
    train, _ = text.load_pydoc_corpus()
    model = text.NGramModel(text.Vocabulary(text.ASCII_ALPHABET), 3).fit(train[:100_000])

    def char_entropy(s):
        p = np.array(list(Counter(s).values()), dtype=float) / len(s)
        return -(p * np.log2(p)).sum()
    H = [char_entropy(model.sample(3000, prefix="The ", temperature=T, rng=1)) for T in (0.3, 1.0, 2.0)]
    assert H[0] < H[1] < H[2], H


def test_seeded_sampling_is_reproducible():
    model = text.NGramModel(text.Vocabulary.from_text(TINY), 2).fit(TINY)
    a = model.sample(50, prefix="b", rng=3)
    assert a == model.sample(50, prefix="b", rng=3) and len(a) == 50
    assert a != model.sample(50, prefix="b", rng=4)
    net = text.CharMLP(model.vocab, context=3, hidden_dim=8, seed=0)
    assert net.sample(30, prefix="ab", rng=1) == net.sample(30, prefix="ab", rng=1)
    other = text.CharMLP(model.vocab, context=3, hidden_dim=8, seed=0)
    torch.testing.assert_close(net.out.weight, other.out.weight, rtol=0, atol=0)


# --- the neural model -----------------------------------------------------------------------------

def test_char_mlp_learns_and_beats_the_unigram_on_held_out_text():
    train, held_out = text.load_pydoc_corpus()
    vocab = text.Vocabulary(text.ASCII_ALPHABET)
    unigram = text.bits_per_char(text.NGramModel(vocab, 1).fit(train), held_out)
    net = text.CharMLP(vocab, context=6, embed_dim=12, hidden_dim=96, seed=0)
    state = torch.get_rng_state()
    hist = text.train_char_model(net, train, steps=600, batch_size=128, lr=1e-2, validation=held_out[:10_000],
                                 log_every=100, progress=False, seed=0)
    assert torch.equal(state, torch.get_rng_state())  # torch's global generator was not used
    assert list(hist) == ["step", "loss", "val_loss", "lr", "seconds"]
    assert hist.step == [100, 200, 300, 400, 500, 600]
    assert hist.loss[-1] < hist.loss[0] - 0.3 and hist.val_loss[-1] < hist.val_loss[0]
    bpc = text.bits_per_char(net, held_out)
    assert bpc < unigram - 0.8, (bpc, unigram)
    # the history's val_loss is the same score, in nats, on the validation text at the last step
    assert abs(text.bits_per_char(net, held_out[:10_000]) - hist.val_loss[-1] / math.log(2)) < 1e-9
    assert not net.training


def test_train_char_model_is_reproducible():
    vocab = text.Vocabulary.from_text(TINY)
    runs = []
    for _ in range(2):
        net = text.CharMLP(vocab, context=3, hidden_dim=8, seed=1)
        runs.append(text.train_char_model(net, TINY, steps=30, log_every=10, progress=False, seed=2).loss)
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=0)
    if torch.cuda.is_available():  # the model moves, the scores come back as NumPy on the CPU
        text.train_char_model(net, TINY, steps=5, device="cuda", progress=False, seed=2)
        assert net.out.weight.device.type == "cuda" and net.log_prob_chars(TINY).shape == (len(TINY),)
        assert len(net.sample(5, prefix="ab", rng=0)) == 5


def test_char_mlp_scores_match_a_direct_forward_pass():
    vocab = text.Vocabulary.from_text(TINY)
    net = text.CharMLP(vocab, context=3, hidden_dim=8, seed=0)
    ids = vocab.encode("abc ab")
    pad = len(vocab)
    windows = torch.tensor([[pad, pad, pad], [pad, pad, ids[0]], [pad, ids[0], ids[1]], ids[0:3].tolist(),
                            ids[1:4].tolist(), ids[2:5].tolist()])  # (6, 3)
    with torch.no_grad():
        ref = torch.log_softmax(net(windows).double(), -1)[torch.arange(6), torch.as_tensor(ids)]
    np.testing.assert_allclose(net.log_prob_chars("abc ab"), ref.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.exp(net.next_log_probs("abc")).sum(), 1.0, atol=1e-12)


# --- bad input ------------------------------------------------------------------------------------

def test_bad_input_names_the_parameter():
    vocab = text.Vocabulary.from_text(TINY)
    with pytest.raises(ValueError, match=r"order must be an integer >= 0 \(got -1\)"):
        text.NGramModel(vocab, -1)
    with pytest.raises(ValueError, match=r"discount must lie in \(0, 1\] \(got 1.5\)"):
        text.NGramModel(vocab, 2, discount=1.5)
    with pytest.raises(TypeError, match="vocab must be a course_utils.text.Vocabulary"):
        text.NGramModel("abc", 2)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        text.NGramModel(vocab, 2).log_prob_chars("ab")
    model = text.NGramModel(vocab, 2).fit(TINY)
    with pytest.raises(ValueError, match=r"temperature must be a finite number >= 0 \(got -1.0\)"):
        model.sample(5, temperature=-1)
    with pytest.raises(ValueError, match=r"n must be an integer >= 1 \(got 0\)"):
        model.sample(0)
    with pytest.raises(ValueError, match=r"'x' at position 1"):
        model.sample(5, prefix="ax")
    with pytest.raises(TypeError, match="text must be a str or a 1-D sequence of integer ids"):
        model.fit(None)
    with pytest.raises(TypeError, match="model must be an NGramModel or a CharMLP"):
        text.bits_per_char("abc", "abc")
    net = text.CharMLP(vocab, context=2, hidden_dim=4, seed=0)
    with pytest.raises(ValueError, match=r"steps must be an integer >= 1 \(got 0\)"):
        text.train_char_model(net, TINY, steps=0)
    with pytest.raises(ValueError, match=r"text must hold at least 2 characters \(got 1\)"):
        text.train_char_model(net, "a", steps=5)
    with pytest.raises(ValueError, match="validation holds|'z' at position"):
        text.train_char_model(net, TINY, steps=5, validation="abz", progress=False)
    with pytest.raises(TypeError, match="model must be a course_utils.text.CharMLP"):
        text.train_char_model(model, TINY, steps=5)
