"""Quality and speed of course_utils.diffusion on two moons against a BIC-chosen Gaussian mixture (issue 12).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_diffusion.py               # 5 seeds, 1 thread
    python benchmarks/bench_diffusion.py --seeds 0 1 --epochs 800 --method ddim --steps 50

Two moons (noise 0.05), 2,000 training points (``random_state=seed``) and 2,000 held-out points
(``random_state=1000 + seed``). Per seed: ``train_diffusion(Denoiser(2, seed=seed), X,
schedule=Schedule(), seed=seed)`` with the library defaults (unless overridden here), 2,000 samples, and
their energy distance (``cu.metrics.energy_distance``) and precision/recall (k = 3) against the
held-out points; the same for 2,000 samples of a ``GaussianMixture`` whose K minimises BIC over
1..``--max-k`` (the range must not end at the chosen K), and for 2,000 fresh real points (the floor).
Prints one table with the training wall and CPU seconds (CPU seconds are the fairer number on a
shared machine).
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
    X_gmm = gmm.sample(args.n)[0]
    model = diffusion.Denoiser(2, hidden_dim=args.hidden_dim, n_layers=args.n_layers, seed=seed)
    schedule = diffusion.Schedule(args.T, kind=args.kind)
    kwargs = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr), ("batch_size", args.batch_size))
              if v is not None}
    with Timer() as training:
        diffusion.train_diffusion(model, X, schedule=schedule, seed=seed, progress=False, **kwargs)
    with Timer() as sampling:
        X_diff = diffusion.sample(model, schedule, args.n, seed=seed, method=args.method, steps=args.steps).numpy()
    ed_diff, ed_gmm = metrics.energy_distance(X_diff, X_test), metrics.energy_distance(X_gmm, X_test)
    ed_floor = metrics.energy_distance(X_floor, X_test)
    pr_diff, pr_gmm = metrics.precision_recall(X_test, X_diff), metrics.precision_recall(X_test, X_gmm)
    return dict(seed=seed, K=gmm.n_components, ed_diff=ed_diff, ed_gmm=ed_gmm, ed_floor=ed_floor,
                p_diff=pr_diff[0], r_diff=pr_diff[1], p_gmm=pr_gmm[0], r_gmm=pr_gmm[1], wall=training.wall, cpu=training.cpu,
                sample_s=sampling.wall)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--max-k", type=int, default=30)
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--kind", default="linear")
    p.add_argument("--hidden-dim", type=int, default=128)
    p.add_argument("--n-layers", type=int, default=3)
    p.add_argument("--epochs", type=int, default=None, help="default: train_diffusion's")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--method", default="ddpm", choices=["ddpm", "ddim"])
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    print("| seed | K (BIC) | energy dist. diffusion | GMM | real vs real | diffusion wins | precision / recall "
          "diffusion | GMM | train wall s | train CPU s | sampling s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for seed in args.seeds:
        r = run_seed(seed, args)
        rows.append(r)
        print(f"| {seed} | {r['K']} | {r['ed_diff'] * 1e4:.2f}e-4 | {r['ed_gmm'] * 1e4:.2f}e-4 | "
              f"{r['ed_floor'] * 1e4:.2f}e-4 | {'yes' if r['ed_diff'] < r['ed_gmm'] else 'no'} | "
              f"{r['p_diff']:.3f} / {r['r_diff']:.3f} | {r['p_gmm']:.3f} / {r['r_gmm']:.3f} | "
              f"{r['wall']:.1f} | {r['cpu']:.1f} | {r['sample_s']:.2f} |", flush=True)
    wins = sum(r["ed_diff"] < r["ed_gmm"] for r in rows)
    print(f"\ndiffusion closer to held-out data than the GMM on {wins}/{len(rows)} seeds; "
          f"median energy distance {np.median([r['ed_diff'] for r in rows]) * 1e4:.2f}e-4 vs "
          f"{np.median([r['ed_gmm'] for r in rows]) * 1e4:.2f}e-4; max train CPU "
          f"{max(r['cpu'] for r in rows):.1f} s")


if __name__ == "__main__":
    main()
