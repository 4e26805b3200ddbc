"""Quality and speed of course_utils.diffusion on two moons against a BIC-chosen Gaussian mixture (issue 12).

Usage::

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/bench_diffusion.py     # 5 seeds, 1 thread
    python benchmarks/bench_diffusion.py --seeds 0 1 --epochs 2000 --variance posterior

Two moons (noise 0.05), 2,000 training points (``random_state=seed``) and 2,000 held-out points
(``random_state=1000 + seed``). Per seed: ``train_diffusion(Denoiser(2, seed=seed), X,
schedule=Schedule(), seed=seed)`` with the library defaults (unless overridden here), and a
``GaussianMixture`` whose K minimises BIC over 1..``--max-k`` (the range must not end at the chosen K).

Protocol, the same for both models: ``--draws`` (5) independent draws of ``--n`` (2,000) samples
(sampling seeds ``100 seed + d``); the score is the **mean** over the draws of the energy distance
(``cu.metrics.energy_distance``) to the held-out points, and the mean precision/recall (k = 3). One
2,000-point draw is a noisy score (the share of samples on each moon alone moves it by 2-3x), hence the
mean. Also printed: one draw of 10,000 samples of each model against the same held-out points, and the
floor, 2,000 fresh real points (``random_state=2000 + seed``). Training wall and CPU seconds (CPU is the
fairer number on a shared machine) and the seconds to draw 2,000 samples.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _timing import Timer  # benchmarks/ is on sys.path when a script runs
from sklearn.datasets import make_moons
from sklearn.mixture import GaussianMixture

from course_utils import diffusion, metrics


def gmm_by_bic(X, max_k, seed):
    fits = [GaussianMixture(k, random_state=seed).fit(X) for k in range(1, max_k + 1)]
    best = min(fits, key=lambda m: m.bic(X))
    if best.n_components == max_k:
        raise RuntimeError(f"BIC chose K = {max_k}, the end of the range; raise --max-k")
    return best


def run_seed(seed, args):
    X, _ = make_moons(args.n, noise=0.05, random_state=seed)
    X_test, _ = make_moons(args.n, noise=0.05, random_state=1000 + seed)
    X_floor, _ = make_moons(args.n, noise=0.05, random_state=2000 + seed)
    gmm = gmm_by_bic(X, args.max_k, seed)
    model_kw = {} if args.hidden_dim is None else {"hidden_dim": args.hidden_dim}
    model = diffusion.Denoiser(2, n_layers=args.n_layers, seed=seed, **model_kw)
    schedule = diffusion.Schedule(args.T, kind=args.kind)
    kwargs = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr), ("batch_size", args.batch_size),
                                ("ema_decay", args.ema_decay)) if v is not None}
    with Timer() as training:
        diffusion.train_diffusion(model, X, schedule=schedule, seed=seed, progress=False, **kwargs)

    def draw_diffusion(n, s):
        return diffusion.sample(model, schedule, n, seed=s, method=args.method, steps=args.steps,
                                variance=args.variance).numpy()

    def draw_gmm(n, s):
        gmm.random_state = s
        return gmm.sample(n)[0]

    with Timer() as sampling:
        draw_diffusion(args.n, 0)
    row = dict(seed=seed, K=gmm.n_components, ed_floor=metrics.energy_distance(X_floor, X_test),
               wall=training.wall, cpu=training.cpu, sample_s=sampling.wall)
    for name, draw in (("diff", draw_diffusion), ("gmm", draw_gmm)):
        eds, prs = [], []
        for d in range(args.draws):
            Y = draw(args.n, 100 * seed + d)
            eds.append(metrics.energy_distance(Y, X_test))
            prs.append(metrics.precision_recall(X_test, Y))
        row[f"ed_{name}"], row[f"eds_{name}"] = float(np.mean(eds)), eds
        row[f"p_{name}"], row[f"r_{name}"] = np.mean(prs, axis=0)
        row[f"ed10k_{name}"] = metrics.energy_distance(draw(10_000, 100 * seed + 99), X_test)
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--max-k", type=int, default=30)
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--kind", default="linear")
    p.add_argument("--draws", type=int, default=5, help="sample draws per model, scores averaged")
    p.add_argument("--hidden-dim", type=int, default=None, help="default: Denoiser's")
    p.add_argument("--n-layers", type=int, default=3)
    p.add_argument("--epochs", type=int, default=None, help="default: train_diffusion's")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--method", default="ddpm", choices=["ddpm", "ddim"])
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--variance", default=None, choices=["beta", "posterior"], help="default: sample's")
    p.add_argument("--ema-decay", type=float, default=None)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"| seed | K (BIC) | energy dist. diffusion (mean of {args.draws}) | GMM (mean of {args.draws}) | "
          "real vs real | diffusion wins | precision / recall diffusion | GMM | energy dist. n = 10,000 "
          "diffusion / GMM | train wall s | train CPU s | sampling s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for seed in args.seeds:
        r = run_seed(seed, args)
        rows.append(r)
        print(f"| {seed} | {r['K']} | {r['ed_diff'] * 1e4:.2f}e-4 | {r['ed_gmm'] * 1e4:.2f}e-4 | "
              f"{r['ed_floor'] * 1e4:.2f}e-4 | {'yes' if r['ed_diff'] < r['ed_gmm'] else 'no'} | "
              f"{r['p_diff']:.3f} / {r['r_diff']:.3f} | {r['p_gmm']:.3f} / {r['r_gmm']:.3f} | "
              f"{r['ed10k_diff'] * 1e4:.2f}e-4 / {r['ed10k_gmm'] * 1e4:.2f}e-4 | "
              f"{r['wall']:.1f} | {r['cpu']:.1f} | {r['sample_s']:.2f} |", flush=True)
    for r in rows:
        print(f"seed {r['seed']} per-draw energy distance (e-4): diffusion "
              f"{[round(e * 1e4, 2) for e in r['eds_diff']]}, GMM {[round(e * 1e4, 2) for e in r['eds_gmm']]}")
    wins = sum(r["ed_diff"] < r["ed_gmm"] for r in rows)
    wins10k = sum(r["ed10k_diff"] < r["ed10k_gmm"] for r in rows)
    print(f"\ndiffusion closer to held-out data than the GMM on {wins}/{len(rows)} seeds (mean of {args.draws} "
          f"draws of {args.n}), {wins10k}/{len(rows)} with one draw of 10,000; median energy distance "
          f"{np.median([r['ed_diff'] for r in rows]) * 1e4:.2f}e-4 vs {np.median([r['ed_gmm'] for r in rows]) * 1e4:.2f}e-4; "
          f"max train CPU {max(r['cpu'] for r in rows):.1f} s")


if __name__ == "__main__":
    main()
