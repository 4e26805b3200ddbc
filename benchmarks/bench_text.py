"""Held-out bits per character of the character models in course_utils.text (issue 9).

Usage::

    python benchmarks/bench_text.py                    # n-grams of order 1-5 and the MLP, seed 0
    python benchmarks/bench_text.py --seeds 0 1 2      # the MLP over several seeds
    python benchmarks/bench_text.py --steps 1000       # a shorter MLP run (the notebook's FAST setting)

Corpus: ``load_pydoc_corpus()`` (Python's help texts, every 10th block held out). Prints one row per model:
held-out bits per character, and the wall and CPU seconds of fitting (one torch thread; CPU seconds are
the fairer number on a shared machine). The uniform model over the 96 characters scores log2 96 = 6.585.
"""

from __future__ import annotations

import argparse

import torch
from _timing import Timer  # benchmarks/ is on sys.path when a script runs

from course_utils import text

NAMES = {0: "uniform", 1: "unigram", 2: "bigram", 3: "trigram", 4: "4-gram", 5: "5-gram"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, held_out = text.load_pydoc_corpus()
    vocab = text.Vocabulary(text.ASCII_ALPHABET)
    print(f"train {len(train):,} characters, held out {len(held_out):,}, V = {len(vocab)}")
    print(f"{'model':<28} {'held-out bpc':>12} {'wall s':>8} {'CPU s':>8}")
    for order in args.orders:
        with Timer() as t:
            model = text.NGramModel(vocab, order).fit(train)
        print(f"{NAMES.get(order, f'{order}-gram'):<28} {text.bits_per_char(model, held_out):>12.3f} "
              f"{t.wall:>8.2f} {t.cpu:>8.2f}")
    for seed in args.seeds:
        net = text.CharMLP(vocab, seed=seed)  # context 8, embeddings 24, hidden 256
        with Timer() as t:
            text.train_char_model(net, train, steps=args.steps, progress=False, seed=seed)
        name = f"MLP {args.steps} steps, seed {seed}"
        print(f"{name:<28} {text.bits_per_char(net, held_out):>12.3f} {t.wall:>8.2f} {t.cpu:>8.2f}")
    print("sample (MLP, T=0.7):", repr(net.sample(120, prefix="The ", temperature=0.7, rng=0)))


if __name__ == "__main__":
    main()
