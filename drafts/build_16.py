"""Build notebooks/16-conclusion.ipynb from the cell sources below (run from anywhere)."""
import json
import sys
from pathlib import Path

ROOT = Path("/work/main")
sys.path.insert(0, str(ROOT))
from course_utils import _config  # noqa: E402
from course_utils._refs_conclusion import conclusion_quiz  # noqa: E402
from course_utils.workbook import PARAMETERS, SETUP_COLAB, colab_url  # noqa: E402

PATH = ROOT / "notebooks" / "16-conclusion.ipynb"
cells = []


def md(cell_id, text, **meta):
    cells.append({"cell_type": "markdown", "id": f"n16-{cell_id}", "metadata": meta, "source": text.strip("\n")})


def code(cell_id, text, **meta):
    cells.append({"cell_type": "code", "execution_count": None, "id": f"n16-{cell_id}", "metadata": meta,
                  "outputs": [], "source": text.strip("\n")})


def solution_meta(grade_id):
    return {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
                         "solution": True, "task": False}}


def check_meta(grade_id, points):
    return {"nbgrader": {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                         "schema_version": 3, "solution": False, "task": False}}


badge = colab_url(Path("notebooks/16-conclusion.ipynb"), _config.REPOSITORY_URL, _config.BRANCH)
md("title", f"""
# 16 · Conclusion

[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({badge})
""")

md("objectives", """
## Learning objectives

By the end of this notebook you will be able to:

- say in one sentence each what a Gaussian mixture, a hidden Markov model, a VAE, a GAN, a normalising flow
  and a diffusion model learn, how each one draws a sample, and whether it gives you a likelihood;
- name what generative models are used for in images, language and healthcare, and the ethical risks that
  come with them;
- run one comparison of five of the workbook's models on the same data set with the sample-based metrics
  of notebook 11, and read a table in which no single number tells the whole story;
- compute coverage and an energy distance averaged over several sample draws, with its standard error;
- check your understanding of the course with a quiz that marks itself, and know where to read further.

*Time: about 45 minutes (10 reading the recap, 15 running and reading the capstone, 20 for the three exercises).*
""")

code("colab", SETUP_COLAB)

code("imports", """
import os
import time

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_moons
from sklearn.mixture import GaussianMixture

import course_utils as cu
import course_utils.diffusion  # the DDPM of notebook 14: cu.diffusion
""")

code("parameters", PARAMETERS, tags=["parameters"])

code("seed", """
cu.seed_everything(SEED)
device = cu.get_device(DEVICE)
print(f"FAST={FAST}, SEED={SEED}, device={device}")
""")

code("budget", """
# The capstone's budget. FAST trains every model once; the full run trains each three times (three seeds)
# and averages, so that the table also shows how much one training run varies. The models are the same.
N_TRAIN, N_TEST = 1000, 2000  # two-moons points to train on, and held-out points to score against
N_SAMPLES, N_DRAWS = 2000, 5  # each score uses N_DRAWS independent sets of N_SAMPLES samples
N_FLOOR_DRAWS = 20  # the floor (fresh real data) is cheap to draw: more draws make it a sharper yardstick
RUN_SEEDS = [SEED] if FAST else [SEED, SEED + 1, SEED + 2]  # weights and training noise of each run
GAN_SEEDS = [0] if FAST else [0, 1, 2]  # fixed, not SEED: a single GAN run varies a lot (notebooks 10, 12)
K_MAX = 20  # the mixture's number of components is chosen by BIC among 1..K_MAX
FLOW_EPOCHS, DIFFUSION_EPOCHS, GAN_STEPS, VAE_EPOCHS = 150, 1500, 1500, 100
if device.type == "cpu":
    torch.set_num_threads(1)  # tiny networks: one thread is as fast as several, and kind to shared machines
print(f"{len(RUN_SEEDS)} training run(s) per model: seeds {RUN_SEEDS}, GAN seeds {GAN_SEEDS}")
""")

# ------------------------------------------------------------------ 1. recap
md("recap", r"""
## 1. What the course built

A **generative model** is a probability distribution $p_\theta(x)$ fitted to data, from which we can draw
new $x$. Supervised models learn $p(y \mid x)$, a label given an input; generative models learn the data
themselves (notebook 03 compares the two). Each model of the course answers three questions differently:
*what does it learn*, *how does it sample*, and *can it tell you how likely a point is*?

| model (notebook) | what it learns | how it samples | likelihood |
|---|---|---|---|
| Gaussian mixture (06) | $p(x) = \sum_k \pi_k\, \mathcal N(x; \mu_k, \Sigma_k)$, fitted by EM | pick a component $k \sim \pi$, then $x \sim \mathcal N(\mu_k, \Sigma_k)$ | exact |
| hidden Markov model (07) | a chain of hidden states $z_t$ with transitions $A$ and emissions $p(x_t \mid z_t)$ | walk the chain, emit at each step | exact, by the forward algorithm |
| VAE (08) | a decoder $p_\theta(x \mid z)$ and an encoder $q_\phi(z \mid x)$, trained together on the ELBO | $z \sim \mathcal N(0, I)$, decode | a lower bound (ELBO, IWAE) |
| GAN (09, 10) | a generator $G(z)$ trained against a discriminator $D$ on $\min_G \max_D V(D, G)$ | $z \sim \mathcal N(0, I)$, $x = G(z)$ | none |
| normalising flow (10, 11) | an invertible $f$ with $\log p(x) = \log \mathcal N(f(x); 0, I) + \log\lvert\det \partial f / \partial x\rvert$ | $z \sim \mathcal N(0, I)$, $x = f^{-1}(z)$ | exact |
| diffusion model (14) | a network $\varepsilon_\theta(x_t, t)$ that predicts the noise added to the data | start from noise, denoise step by step | a bound, rarely used |

- **Gaussian mixtures** do two jobs at once: **clustering** (the responsibilities $p(k \mid x)$ are soft cluster
  labels; K-means is their hard, equal-variance limit) and **density estimation** (BIC picks $K$).
- **Hidden Markov models** model **sequences**: the hidden weather behind a diary of days (notebook 07), the part of
  speech behind a word. The forward algorithm gives the likelihood of a sequence, Viterbi its most likely hidden
  path and Baum-Welch (EM again) learns the parameters. They were recapped here in prose only: the capstone
  below uses points, not sequences.
- **VAEs** learn a **compressed representation** $z$ and generate by decoding it. The encoder and the decoder
  do not compete: both maximise the same ELBO, $\mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q_\phi(z \mid x)
  \,\|\, p(z))$.
- **GANs** generate by an **adversarial game**: the discriminator learns to tell real from generated points and
  the generator learns to fool it. Sharp samples, no likelihood, and a training that can collapse onto a few
  modes (notebook 12).
- **Flows** are exact-likelihood models built from invertible layers; **diffusion models** learn to undo a
  gradual noising, $q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\, x_0, (1 - \bar\alpha_t) I)$, and are behind
  today's image generators.
""")

md("applications", r"""
### Where they are used, and what can go wrong

- **Images.** Super-resolution, inpainting and image-to-image translation (pix2pix, CycleGAN; notebook 04),
  style transfer (notebook 13), and text-to-image generation with diffusion models.
- **Language.** GPT-style models are generative models of text: trained **self-supervised** to predict the next
  token, $p(x) = \prod_t p(x_t \mid x_{<t})$, then sampled one token at a time (notebook 04 builds small
  n-gram and neural versions). HMMs were the sequence models of speech recognition and tagging before them.
- **Healthcare.** Synthetic patient records that can be shared where the real ones cannot, data augmentation
  for rare conditions, and anomaly detection by low likelihood (with the caution of notebook 05: a high
  likelihood does not prove a point is normal).
- **Ethics** (notebook 15). Deepfakes and synthetic documents erode trust; models trained on skewed data
  reproduce and can amplify the skew; a model that memorises its training set leaks it, which a
  membership-inference test can reveal. Audits, model cards, detectors and honest documentation are part
  of the job, not an afterword.
""")

# ------------------------------------------------------------------ 2. capstone
md("capstone", r"""
## 2. Capstone: five models, one data set, the metrics of notebook 11

We train five of the course's models on the same **two moons** (noise 0.05, standardised to mean 0 and
variance 1 per coordinate; 1,000 training points) and score their samples against 2,000 held-out points:

- **GMM**: scikit-learn's `GaussianMixture`, full covariances, $K$ chosen by BIC among 1 to 20;
- **flow**: `cu.flows.RealNVP`, 6 affine couplings with learned linear mixing (notebooks 10, 11), maximum likelihood;
- **diffusion**: `cu.diffusion.Denoiser` with the default schedule ($T = 100$), DDPM sampling (notebook 14);
- **GAN**: `cu.gan` MLPs of 64 and 64 units, non-saturating loss, two discriminator steps per generator step (notebooks 09, 10);
- **VAE**: `cu.vae.VAE` with a 2-d latent space and a Gaussian decoder of unit variance (notebook 08).

No likelihood is shared by all five (the GAN has none; the VAE and the diffusion model only bounds), so we
compare **samples**, with three scores: the energy distance of notebook 14 and two pairs of scores from
notebook 11:

- the **energy distance** (Székely & Rizzo, 2013) between the samples $Y$ and the held-out points $X$,
  $$\mathcal E^2(X, Y) = 2\,\mathbb E\lVert X - Y\rVert - \mathbb E\lVert X - X'\rVert - \mathbb E\lVert Y - Y'\rVert \;\ge 0,$$
  zero only when the two distributions are equal: one number for fidelity and diversity together, like
  notebook 11's FID and KID (like KID it is a maximum mean discrepancy: twice the squared MMD with the kernel
  $k(x, y) = \tfrac12(\lVert x\rVert + \lVert y\rVert - \lVert x - y\rVert)$, Sejdinovic et al., 2013);
- **precision and recall** (Kynkäänniemi et al., 2019): the share of samples inside the real data's $k$-NN
  balls (fidelity), and the share of real points inside the samples' balls (diversity);
- **density and coverage** (Naeem et al., 2020): like precision and recall, but both measured with balls
  around the *real* points only, which makes them robust to outlying samples.

One set of samples gives a noisy score: on two moons, a sample that puts 51% of its points on one moon
already pays for it in energy distance. So every energy distance below is the mean over several
independent draws of samples, with its standard error (Exercise 2). A yardstick comes first: the score of a
perfect model, whose samples are fresh points of the true distribution drawn independently, as every model
below draws its samples. (`make_moons` itself spaces its angles evenly instead of drawing them at random, so
two `make_moons` sets are closer to each other than two random samples ever are: they would set a floor that
no sampler can reach. `two_moons` below draws from the same distribution at random.)
""")

code("data", """
def standardise(X):
    return (X - shift) / scale  # (n, 2) in the training data's units


X_raw, _ = make_moons(N_TRAIN, noise=0.05, random_state=SEED)  # (1000, 2)
shift, scale = X_raw.mean(axis=0), X_raw.std(axis=0)
X_train = standardise(X_raw)
X_test = standardise(make_moons(N_TEST, noise=0.05, random_state=1000 + SEED)[0])  # (2000, 2), held out
Xt_train = torch.tensor(X_train, dtype=torch.float32, device=device)


def two_moons(n, rng):
    # n independent points of the distribution behind make_moons: a moon chosen with probability 1/2, an angle
    # uniform on [0, pi], Gaussian noise of s.d. 0.05 on both coordinates -> (n, 2), raw units
    theta = rng.uniform(0, np.pi, n)
    upper = np.c_[np.cos(theta), np.sin(theta)]
    lower = np.c_[1 - np.cos(theta), 0.5 - np.sin(theta)]
    return np.where(rng.random(n)[:, None] < 0.5, upper, lower) + rng.normal(scale=0.05, size=(n, 2))


def real_draw(i):
    # The perfect model: the i-th set of fresh, independent two-moons points, in the same units.
    return standardise(two_moons(N_SAMPLES, np.random.default_rng([SEED, 10_000 + i])))


print(f"training points {X_train.shape}, held-out points {X_test.shape}; "
      f"the data span x1 in [{X_train[:, 0].min():.1f}, {X_train[:, 0].max():.1f}], "
      f"x2 in [{X_train[:, 1].min():.1f}, {X_train[:, 1].max():.1f}] (standardised, no unit)")
""")

md("why-not-fid", r"""
Why not notebook 11's headline score, FID? It compares only the **mean and covariance** of two sets of
features. Images need a network to turn pixels into features; on points in the plane the coordinates
themselves would be the features, and then FID cannot see shape at all: a single Gaussian with the data's
mean and covariance, a blob that looks nothing like two moons, scores about as well as fresh data do.
The cell below checks that, against fresh real points; the energy distance, which compares whole
distributions, tells the two apart.
""")

code("why-not-fid-code", """
rng_blob = np.random.default_rng([SEED, 1])
blob = rng_blob.multivariate_normal(X_train.mean(axis=0), np.cov(X_train.T), N_SAMPLES)  # (2000, 2) one Gaussian
fresh = real_draw(0)  # (2000, 2) fresh two-moons points
fid_blob, fid_real = cu.metrics.fid(blob, X_test), cu.metrics.fid(fresh, X_test)
ed_blob, ed_real = cu.metrics.energy_distance(blob, X_test), cu.metrics.energy_distance(fresh, X_test)
print(f"FID on the coordinates: one Gaussian {fid_blob:.4f}, fresh real points {fid_real:.4f}")
print(f"energy distance (1e-4): one Gaussian {1e4 * ed_blob:.0f}, fresh real points {1e4 * ed_real:.0f}")
assert fid_blob < 0.05, "FID should barely notice that a Gaussian blob is not two moons"
assert ed_blob > 5 * ed_real, "the energy distance should tell the blob from the moons"
""")

code("train", """
def to_numpy(samples):
    return samples.detach().cpu().double().numpy()  # (n, 2)


def fit_models(seed, gan_seed):
    # Train the five models; return {name: draw} with draw(i) -> (N_SAMPLES, 2), the i-th set of samples,
    # and {name: training seconds}.
    draws, seconds = {}, {}
    t0 = time.perf_counter()
    bic = [GaussianMixture(k, random_state=seed).fit(X_train).bic(X_train) for k in range(1, K_MAX + 1)]
    gmm = GaussianMixture(int(np.argmin(bic)) + 1, random_state=seed).fit(X_train)
    params = cu.mixtures.GMMParams(gmm.weights_, gmm.means_, gmm.covariances_)
    draws["GMM"] = lambda i: cu.mixtures.sample_gmm(params, N_SAMPLES, rng=np.random.default_rng([seed, i]))[0]
    seconds["GMM"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    torch.manual_seed(seed)  # the couplings' initial weights (the seed argument fixes the rotations only)
    flow = cu.flows.RealNVP(2, n_layers=6, hidden_dim=64, mixing="lu", seed=seed, init_rotation=60)
    cu.flows.train_flow(flow, Xt_train, epochs=FLOW_EPOCHS, batch_size=512, lr=1e-2, device=device,
                        progress=True, seed=seed)
    draws["flow"] = lambda i: to_numpy(flow.sample(N_SAMPLES, seed=1000 * seed + i))
    seconds["flow"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    denoiser, schedule = cu.diffusion.Denoiser(2, seed=seed), cu.diffusion.Schedule()
    cu.diffusion.train_diffusion(denoiser, Xt_train, schedule=schedule, epochs=DIFFUSION_EPOCHS, batch_size=1000,
                                 lr=5e-3, device=device, progress=True, seed=seed)
    draws["diffusion"] = lambda i: to_numpy(cu.diffusion.sample(denoiser, schedule, N_SAMPLES, seed=1000 * seed + i))
    seconds["diffusion"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    torch.manual_seed(gan_seed)  # the two networks' initial weights
    G = cu.gan.Generator(latent_dim=2, output_dim=2, hidden_dims=(64, 64))
    D = cu.gan.Discriminator(2, hidden_dims=(64, 64))
    cu.gan.train_gan(G, D, Xt_train, steps=GAN_STEPS, batch_size=256, lr=2e-3, n_critic=2, device=device,
                     progress=True, seed=gan_seed)
    draws["GAN"] = lambda i: to_numpy(G.sample(N_SAMPLES, seed=1000 * gan_seed + i))
    seconds["GAN"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    torch.manual_seed(seed)
    vae = cu.vae.VAE(2, latent_dim=2, hidden_dims=(64, 64), likelihood="gaussian")
    cu.vae.train_vae(vae, Xt_train, epochs=VAE_EPOCHS, batch_size=128, lr=2e-3, device=device, progress=True,
                     seed=seed)
    draws["VAE"] = lambda i: to_numpy(vae.sample(N_SAMPLES, seed=1000 * seed + i, mean=False))
    seconds["VAE"] = time.perf_counter() - t0
    return draws, seconds, gmm.n_components


runs = [fit_models(seed, gan_seed) for seed, gan_seed in zip(RUN_SEEDS, GAN_SEEDS)]
MODELS = list(runs[0][0])
for (_, seconds, K), seed in zip(runs, RUN_SEEDS):
    print(f"run seed {seed}: BIC chose K = {K}; training seconds " + ", ".join(f"{m} {s:.1f}" for m, s in seconds.items()))
""")

md("ex1-md", r"""
### Exercise 1 — coverage (2 points)

Write `my_coverage(real, fake, k)`. `real` is an array `(n, d)`, `fake` an array `(m, d)`, `k` a positive
integer. Around every real point $x_i$ put a ball whose radius $r_i$ is the distance from $x_i$ to its $k$-th
nearest **other** real point. Return the share of real points whose ball contains at least one fake point
(distance $\le r_i$), a float in $[0, 1]$:

$$\text{coverage} = \frac1n \sum_{i=1}^n \mathbb 1\big[\exists j:\ \lVert y_j - x_i\rVert \le r_i\big].$$

Write it with NumPy or SciPy distances (`scipy.spatial.distance.cdist` is fine), not with `cu.metrics`.
""")

code("ex1", """
def my_coverage(real, fake, k):
    # real (n, d), fake (m, d), k -> float: share of real k-NN balls that hold at least one fake point
    ### BEGIN SOLUTION
    from scipy.spatial.distance import cdist

    d_real = cdist(real, real)  # (n, n); column of zeros on the diagonal
    radius = np.sort(d_real, axis=1)[:, k]  # (n,): entry 0 is the point itself
    return float((cdist(real, fake) <= radius[:, None]).any(axis=1).mean())
    ### END SOLUTION
""", **solution_meta("16-ex1-coverage"))

code("ex1-check", """
my_coverage = cu.exercises.check(
    cu.exercises.forbid_calls(my_coverage, ["density_coverage", "precision_recall"],
                              rule="compute the balls and the counts with NumPy or SciPy"),
    cu.exercises.reference_coverage, name="my_coverage",
    cases=[cu.exercises.coverage_case(200, 200, 2, 5, seed=0, label="real and fake from one Gaussian in 2-D, k = 5"),
           cu.exercises.coverage_case(150, 300, 3, 3, seed=1, shift=1.5, label="fakes shifted by 1.5 in 3-D, k = 3"),
           cu.exercises.coverage_case(120, 60, 2, 5, seed=2, spread=0.2, label="fakes collapsed near the centre"),
           cu.exercises.coverage_case(100, 100, 2, 1, seed=3, label="k = 1, the nearest other point"),
           cu.exercises.case(X_test[:400], X_train[:300], 5, label="400 held-out moons against 300 training ones")],
    rtol=0, atol=1e-6,
    hint=("the balls belong to the real points and their radius comes from the real points only; a point is "
          "its own nearest neighbour at distance 0, so skip it when you look for the k-th. Count each real "
          "ball once, however many fakes fall into it."))
### BEGIN HIDDEN TESTS
_r = np.random.default_rng(0).normal(size=(50, 2))
assert np.isclose(my_coverage(_r, _r, 3), 1.0)
### END HIDDEN TESTS
""", **check_meta("16-ex1-coverage-check", 2))

md("ex2-md", r"""
### Exercise 2 — an energy distance with its error bar (2 points)

Write `my_energy_summary(draw, real, n_draws)`. `draw` is a function: `draw(i)` returns the $i$-th set of
samples of a model, an array `(m, d)`, for $i = 0, 1, \dots$ (each call with the same $i$ gives the same set;
different $i$ give independent sets). `real` is an array `(n, d)`. Compute the energy distance
$e_i$ = `cu.metrics.energy_distance(draw(i), real)` for $i = 0, \dots, \texttt{n\_draws} - 1$ and return the
pair `(mean, standard_error)`: the mean $\bar e$ of the $e_i$ and its standard error
$s / \sqrt{n_{\text{draws}}}$, where $s$ is the **sample** standard deviation of the $e_i$ (with $n_{\text{draws}} - 1$
in its denominator). `n_draws` is at least 2.
""")

code("ex2", """
def my_energy_summary(draw, real, n_draws):
    # draw(i) -> (m, d) samples; real (n, d) -> (mean, standard error) of n_draws energy distances
    ### BEGIN SOLUTION
    values = np.array([cu.metrics.energy_distance(draw(i), real) for i in range(n_draws)])  # (n_draws,)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(n_draws))
    ### END SOLUTION
""", **solution_meta("16-ex2-energy"))

code("ex2-check", """
my_energy_summary = cu.exercises.check(
    my_energy_summary, cu.exercises.reference_energy_summary, name="my_energy_summary",
    cases=[cu.exercises.energy_summary_case(200, 2, 0.5, 5, seed=0, label="samples shifted by 0.5 in 2-D, 5 draws"),
           cu.exercises.energy_summary_case(150, 3, 0.0, 4, seed=1, label="samples from the real distribution, 4 draws"),
           cu.exercises.energy_summary_case(100, 2, 1.0, 2, seed=2, label="two draws only")],
    compare_fn=cu.exercises.compare_mean_se,
    hint=("call draw with a different index for every draw (the same index gives the same set), score each set "
          "against the real points, then average. The standard error of a mean is the spread of the values "
          "divided by the square root of how many there are, and the spread is the sample standard deviation "
          "(n - 1 in the denominator)."))
### BEGIN HIDDEN TESTS
_m, _se = my_energy_summary(cu.exercises.GaussianDraws(100, 2, 0.5, seed=5), X_test[:200], 3)
assert _se > 0 and _m > 0
### END HIDDEN TESTS
""", **check_meta("16-ex2-energy-check", 2))

md("table-md", r"""
### The scores

The cell below scores every model's samples with your two functions (or the references, if a check did not
pass) and with `cu.metrics`: the energy distance over the `N_DRAWS` draws (`N_FLOOR_DRAWS` for the floor; in units of $10^{-4}$, mean and
standard error), precision and recall ($k = 3$), density and coverage ($k = 5$) on the first draw. With
several training runs (the full mode) each entry is the average over the runs (the standard error too), and
the last column gives the standard deviation of the energy distance from run to run; it is empty with FAST
(one run) and for the real data, which are not trained.
""")

code("table", """
sources = [("real (floor)", [real_draw])] + [(m, [r[0][m] for r in runs]) for m in MODELS]
rows, scores = {}, {}  # scores[name]: (runs, 6) array, one row per training run
for name, draws in sources:
    per_run = []
    for draw in draws:  # one draw function per training run
        ed, se = my_energy_summary(draw, X_test, N_FLOOR_DRAWS if draw is real_draw else N_DRAWS)
        first = draw(0)  # (N_SAMPLES, 2)
        precision, recall = cu.metrics.precision_recall(X_test, first, k=3)
        density, coverage = cu.metrics.density_coverage(X_test, first, k=5)
        assert abs(my_coverage(X_test, first, 5) - coverage) < 1e-6, "your coverage should agree with cu.metrics"
        per_run.append([1e4 * ed, 1e4 * se, precision, recall, density, coverage])
    per_run = scores[name] = np.array(per_run)  # (runs, 6)
    rows[name] = [*per_run.mean(axis=0), per_run[:, 0].std(ddof=1) if len(per_run) > 1 else np.nan]  # NaN: one run
table = pd.DataFrame.from_dict(rows, orient="index", columns=[
    "energy dist. (1e-4)", "± s.e.", "precision", "recall", "density", "coverage", "run-to-run s.d."])
ed = table["energy dist. (1e-4)"]
for r, seed in enumerate(RUN_SEEDS):
    order = sorted(MODELS, key=lambda m: scores[m][r, 0])
    print(f"run seed {seed}, ranking by energy distance (lowest first): {', '.join(order)}")
if len(RUN_SEEDS) > 1:
    print("ranking of the means over the runs:", ", ".join(ed.drop("real (floor)").sort_values().index))
table.round(3)
""")

code("figure", """
fig, axes = plt.subplots(2, 3, figsize=(13, 8), sharex=True, sharey=True, layout="constrained")
panels = [("held-out data", X_test)] + [(m, runs[0][0][m](0)) for m in MODELS]
for ax, (name, points) in zip(axes.flat, panels):
    shown = points[:1000]  # (1000, 2): the first 1,000 points of each set
    if name != "held-out data":
        ax.scatter(X_test[:, 0], X_test[:, 1], s=2, color="lightgrey", label="held-out data")
        ed_0, precision_0 = scores[name][0, 0], scores[name][0, 2]  # the plotted run's scores
        ax.set_title(f"{name}: energy distance {ed_0:.0f}e-4, precision {precision_0:.2f}")
    else:
        ax.set_title(f"two moons: 1,000 of the {len(X_test):,} held-out points")
    outside = int((np.abs(shown) > 3).any(axis=1).sum())  # points beyond the frame of +-3
    label = "held-out data" if name == "held-out data" else f"1,000 samples ({name})"
    ax.scatter(shown[:, 0], shown[:, 1], s=3, color="C0" if name == "held-out data" else "C3", alpha=0.6,
               label=label + (f", {outside} outside the frame" if outside else ""))
    ax.set(xlabel="$x_1$ (standardised, no unit)", ylabel="$x_2$ (standardised, no unit)", aspect="equal",
           xlim=(-3, 3), ylim=(-3, 3))
    ax.legend(fontsize="small", loc="lower left", markerscale=3, framealpha=0.9)  # a box: the VAE's cloud is everywhere
fig.suptitle(f"Samples of the five models (first training run, seed {RUN_SEEDS[0]}) over the held-out data")
plt.show()
""")

code("claims", """
floor = ed["real (floor)"]
prec, rec = table["precision"], table["recall"]
print(f"floor {floor:.1f}e-4; GMM {ed['GMM']:.1f}, diffusion {ed['diffusion']:.1f}, flow {ed['flow']:.1f}, "
      f"GAN {ed['GAN']:.1f}, VAE {ed['VAE']:.1f} (1e-4)")
print(f"precision: flow {prec['flow']:.2f}, diffusion {prec['diffusion']:.2f}, GAN {prec['GAN']:.2f}, "
      f"VAE {prec['VAE']:.2f}; coverage: flow {table.loc['flow', 'coverage']:.2f}, "
      f"diffusion {table.loc['diffusion', 'coverage']:.2f}")
se = table["± s.e."]
gap = {m: (ed[m] - floor) / np.hypot(se[m], se["real (floor)"]) for m in MODELS}  # in standard errors
print("above the floor, in standard errors of the difference: " + ", ".join(f"{m} {g:.1f}" for m, g in gap.items()))
assert gap["GMM"] < 3, "the mixture should be within sampling noise of the floor"
assert gap["VAE"] > 10, "the VAE should be far above the floor"
assert (scores["GMM"][:, 0] < scores["diffusion"][:, 0]).all(), "in every run the mixture is closer than the diffusion model"
assert ed["VAE"] > 100 and prec["VAE"] < 0.5 and rec["VAE"] > 0.9, "the VAE: a cloud that covers the moons and more"
assert prec["GMM"] > 0.9 and rec["GMM"] > 0.9, "the mixture: high fidelity and high diversity"
assert prec["flow"] > prec["diffusion"], "the flow's samples stay on the moons more often than the diffusion model's"
assert rec["diffusion"] > rec["flow"] and table.loc["flow", "coverage"] > table.loc["diffusion", "coverage"], \
    "the diffusion model: higher recall than the flow, lower coverage"
assert ed["VAE"] == ed.max(), "the VAE's cloud is the farthest from the data"
print(f"GAN: precision {prec['GAN']:.2f}, recall {rec['GAN']:.2f}; lowest recall: {rec.drop('real (floor)').idxmin()}")
""")

md("read", r"""
**Reading the table.** The asserts held on every seed we ran (FAST seeds 0 to 3, and seed 0 in full mode with
its three training runs); the printed numbers vary. First the **floor**: fresh real data score about 8 to 11
(units of $10^{-4}$) against the held-out points in our runs, not 0, because two finite samples never match
exactly. A model's score means something only as a distance *above* that floor, measured against the noise of
the estimate: the last printed line gives it in standard errors (the difference divided by
$\sqrt{\text{s.e.}_\text{model}^2 + \text{s.e.}_\text{floor}^2}$; in full mode with one run's standard error,
a conservative choice). Two or three standard errors is where a gap starts to be believable.

- **The mixture sits at the floor.** With $K$ chosen by BIC, about a dozen Gaussians tile two moons, and their
  score is within sampling noise of a perfect model's: less than 3 standard errors above the floor (asserted; under
  2 in our runs), with precision and recall above 0.9 (asserted). By this score nothing can be shown to beat
  it here. On low-dimensional data a classical model is hard to beat, and it trains in seconds.
- **The GAN has the typical GAN profile**: high precision and the lowest recall of the five (printed). Its
  samples sit on thin curves along the middle of the moons and leave the edges of the data
  under-covered: fidelity more than diversity. Its energy distance was 1 to 3 standard errors above the floor
  in our runs, so its gap to the mixture is not resolved by 5 draws. A GAN's result varies from run to run
  (notebooks 10 and 12), which is why its seeds are fixed; read its row as one run, not as a verdict on GANs.
- **The diffusion model and the flow are above the floor** (by 2.5 to 8 standard errors in our FAST runs,
  printed): for these trained models, the gap to the mixture is larger than the noise of the score. Another
  training run can move a model by more than that noise (the run-to-run column of the full mode), most of all
  the flow, whose energy distance varies the most. The diffusion model was farther from the data than the
  mixture in every run (asserted per run); the flow usually lost to the diffusion model by this score (the
  ranking of each run is printed above), **yet the flow has the higher precision** (asserted). The diffusion
  samples have a fringe of points between the moons (lower precision) and the highest recall, yet lower
  coverage than the flow (both asserted): recall counts real points inside the *samples'* k-NN balls, and the
  stray fringe samples have wide balls that swallow real points, while coverage, with balls around the real
  points only, notices that parts of the moons (their inner tips, in the figure) get few samples. That is why
  Naeem et al. proposed it. The flow's samples mostly stay on the moons, apart from a scatter across the gap that its invertible map cannot cut, but can put too
  much mass on some parts of them; the energy distance compares whole distributions and charges for that. Two
  scores, two orders: which model is "better" depends on what you need.
- **The VAE** has the largest energy distance, far above the floor (more than 10 standard errors, asserted),
  precision below 0.5 and recall above 0.9 (all asserted): a Gaussian decoder with unit variance adds noise as
  large as the data's own spread, so its samples are a cloud over the moons and the gap. That is *diversity
  without fidelity*, the opposite failure of a collapsed GAN. A decoder that learns its variance is the way out.

No single score tells the story: the energy distance ranks, with a floor and an error bar; precision and recall
(or density and coverage) say *why*.
""")

# ------------------------------------------------------------------ 3. quiz
md("quiz-md", f"""
## 3. Self-check quiz

### Exercise 3 — the quiz (2 points)

Answer in `my_quiz_answers` below: a letter (`"a"`, `"b"`, ...) for a multiple-choice question, a number for a
numeric one (it is marked right within a small tolerance: give two decimals). Leave `None` for a question you
skip; it is "not attempted". In the student version, delete the `raise NotImplementedError()` line once the
dict is filled in. The check explains every question you answered; the two points are all or nothing, given
when every answer is right, so correct your answers and run it again. The answers live in `course_utils`:
work them out first. (For lecturers: an explanation gives its question's answer away, so this quiz is for
self-checking, not an exam.)

{conclusion_quiz.to_markdown()}""")

blank = ",\n        ".join(f'"{q.id}": None' for q in conclusion_quiz.questions)
solution = ", ".join(f'"{q.id}": {q.answer!r}' if q.choices else f'"{q.id}": {round(float(q.answer), 3)!r}'
                     for q in conclusion_quiz.questions)
code("ex3", f"""
def my_quiz_answers():
    answers = {{
        {blank},
    }}
    ### BEGIN SOLUTION
    answers.update({{{solution}}})
    ### END SOLUTION
    return answers
""", **solution_meta("16-ex3-quiz"))

code("ex3-check", """
quiz_result = cu.exercises.check_quiz(my_quiz_answers, cu.exercises.conclusion_quiz, name="quiz")
print(f"score: {quiz_result.score} of {len(cu.exercises.conclusion_quiz.questions)}")
### BEGIN HIDDEN TESTS
assert quiz_result.passed
### END HIDDEN TESTS
""", **check_meta("16-ex3-quiz-check", 2))

# ------------------------------------------------------------------ 4. further
md("further", r"""
## 4. Going further

- **GAN loss variants.** The non-saturating loss of Goodfellow et al. (2014) is one of several: the
  Wasserstein loss with a gradient penalty (WGAN-GP; Gulrajani et al., 2017), spectral normalisation of the
  discriminator (Miyato et al., 2018), PacGAN's packed samples against mode collapse (Lin et al., 2018),
  least-squares and hinge losses. Notebook 10 compares some of them on the ring of Gaussians; `cu.gan.train_gan`
  takes `loss="wgan-gp"` and `loss="pacgan"`. Conditional GANs (Mirza & Osindero, 2014), pix2pix (Isola et
  al., 2017), CycleGAN (Zhu et al., 2017) and StyleGAN2 (Karras et al., 2020) are the road to images.
- **VAE encoders and decoders.** Convolutional encoders and decoders for images; decoders that learn their
  variance (the fix for the capstone's cloud); the β-VAE's weight on the KL (Higgins et al., 2017);
  richer posteriors with inverse autoregressive flows (Kingma et al., 2016); conditional VAEs (Sohn, Lee &
  Yan, 2015; notebook 13); and the posterior collapse of strong decoders (Bowman et al., 2016).
- **Flows.** RealNVP (Dinh, Sohl-Dickstein & Bengio, 2017), Glow's invertible 1×1 convolutions (Kingma &
  Dhariwal, 2018), continuous flows through neural ODEs (Chen et al., 2018) and flow matching (Lipman et al.,
  2023), which trains a continuous flow by regression, much as a diffusion model is trained.
- **Diffusion.** DDPM (Ho, Jain & Abbeel, 2020), the faster deterministic DDIM sampler (Song, Meng & Ermon,
  2021), and, beyond this workbook, score-based models, guidance and diffusion in a learned latent space.
- **Evaluation.** Theis, van den Oord & Bethge (2016) on why likelihood, samples and scores can disagree;
  FID (Heusel et al., 2017); precision and recall (Kynkäänniemi et al., 2019); density and coverage (Naeem et
  al., 2020).

### Reading list (a selection of the papers the workbook cites, by topic)

| topic | paper |
|---|---|
| mixtures, EM | Dempster, Laird & Rubin (1977), *Maximum likelihood from incomplete data via the EM algorithm*, JRSS B; Schwarz (1978), *Estimating the dimension of a model*, Annals of Statistics (BIC); Bishop (2006), *Pattern Recognition and Machine Learning*, ch. 9 |
| hidden Markov models | Rabiner (1989), *A tutorial on hidden Markov models and selected applications in speech recognition*, Proc. IEEE; Viterbi (1967), *Error bounds for convolutional codes and an asymptotically optimum decoding algorithm*, IEEE Trans. Information Theory; Baum, Petrie, Soules & Weiss (1970), *A maximization technique occurring in the statistical analysis of probabilistic functions of Markov chains*, Annals of Mathematical Statistics |
| VAEs | Kingma & Welling (2014), *Auto-encoding variational Bayes*, ICLR; Rezende, Mohamed & Wierstra (2014), ICML; Higgins et al. (2017), *β-VAE*, ICLR; Bowman et al. (2016), CoNLL |
| GANs | Goodfellow et al. (2014), *Generative adversarial nets*, NeurIPS; Gulrajani et al. (2017), NeurIPS; Miyato et al. (2018), ICLR; Isola et al. (2017), CVPR; Zhu et al. (2017), ICCV |
| flows | Dinh, Sohl-Dickstein & Bengio (2017), *Density estimation using Real NVP*, ICLR; Kingma & Dhariwal (2018), *Glow*, NeurIPS |
| diffusion | Ho, Jain & Abbeel (2020), *Denoising diffusion probabilistic models*, NeurIPS; Song, Meng & Ermon (2021), *Denoising diffusion implicit models*, ICLR |
| evaluation | Theis, van den Oord & Bethge (2016), ICLR; Heusel et al. (2017), NeurIPS; Salimans et al. (2016), NeurIPS; Kynkäänniemi et al. (2019), NeurIPS; Naeem et al. (2020), ICML; Székely & Rizzo (2013), J. Stat. Planning and Inference |
| language and style | Bengio et al. (2003), *A neural probabilistic language model*, JMLR; Brown et al. (2020), *Language models are few-shot learners*, NeurIPS; Gatys, Ecker & Bethge (2016), CVPR |
| likelihood and novelty | Nalisnick et al. (2019), *Do deep generative models know what they don't know?*, ICLR; Burda, Grosse & Salakhutdinov (2016), *Importance weighted autoencoders*, ICLR |
| more on GANs, VAEs, flows, diffusion | Metz et al. (2017), *Unrolled generative adversarial networks*, ICLR; Lin et al. (2018), *PacGAN*, NeurIPS; Mirza & Osindero (2014), *Conditional generative adversarial nets*, arXiv; Karras et al. (2020), *StyleGAN2*, CVPR; Sohn, Lee & Yan (2015), *Learning structured output representation using deep conditional generative models*, NeurIPS; Kingma et al. (2016), *Improved variational inference with inverse autoregressive flow*, NeurIPS; Sohl-Dickstein et al. (2015), *Deep unsupervised learning using nonequilibrium thermodynamics*, ICML; Chong & Forsyth (2020), *Effectively unbiased FID and Inception Score and where to find them*, CVPR; Bińkowski et al. (2018), *Demystifying MMD GANs* (KID), ICLR |
| ethics | Mitchell et al. (2019), *Model cards for model reporting*, FAT*; Gebru et al. (2021), *Datasheets for datasets*, CACM; Hilprecht, Härterich & Bernau (2019), *Monte Carlo and reconstruction membership inference attacks against generative models*, PoPETs; Chen et al. (2020), *GAN-Leaks*, CCS; Dolhansky et al. (2020), *The DeepFake Detection Challenge dataset*, arXiv; Buolamwini & Gebru (2018), *Gender shades*, FAT*; Ouyang et al. (2022), *Training language models to follow instructions with human feedback*, NeurIPS |
""")

md("summary", r"""
## Summary

- A generative model is a distribution you can sample from. The course's six families differ in what they
  learn (a mixture, a chain, a decoder with an encoder, a generator with a discriminator, an invertible map, a
  denoiser) and in whether they give a likelihood (exact for mixtures, HMMs and flows; a bound for VAEs and
  diffusion; none for GANs).
- On two moons, with the same data and the same scores, the BIC-chosen Gaussian mixture sat at the floor of
  the energy distance, as close to the held-out data as fresh real points are, and closer than the diffusion
  model in every run; the flow usually ranked below the diffusion model by energy distance but had the higher
  precision. The GAN had high precision and the lowest recall (a GAN's result varies with its training run,
  notebooks 10 and 12); the VAE with a unit-variance Gaussian decoder had high recall and the worst precision.
- FID, which compares means and covariances only, cannot tell a Gaussian blob from two moons in the plane: a
  score is only as good as the features it sees.
- A score of samples is itself random: average it over several draws and report a standard error; rank models
  by one number (energy distance, FID) and explain the ranking with two (precision and recall, density and
  coverage).
- Applications in images, language and healthcare come with risks (deepfakes, bias, memorisation) that are
  measured, documented and mitigated as part of the work.

## Check your understanding

1. The mixture beat a diffusion model on two moons. Would you expect the same on 64×64 photographs? Why?
2. Why does the capstone average the energy distance over five sample draws instead of drawing 2,000 samples once?
   What would happen to the standard error with 20 draws?
3. The VAE's *decoder means* lie on a thin curve. Which of precision and recall would they improve, and which would
   they ruin?
4. Why can't the capstone compare the five models by test log-likelihood?
5. In most runs the flow had higher precision than the diffusion model but a larger energy distance. Give a
   distribution of samples that would do this.
6. A hospital wants to share synthetic patient records made by a generative model. Name two checks you would run
   first, and the notebook of this workbook that shows each.
""")

md("answers", r"""
**Your answers** (the instructor version holds model answers here)
### BEGIN SOLUTION
1. No. The mixture wins here because the data are two-dimensional: a dozen Gaussians tile two curves. In 12,288
   dimensions a full-covariance Gaussian has tens of millions of parameters and a mixture needs a huge number of
   them to follow a curved image manifold; diffusion models (and GANs) share structure through convolutional
   networks and scale, which is why they generate images and mixtures do not.
2. One draw of 2,000 samples has its own noise: the share of points on each moon alone moves the energy distance
   by more than the gap between some models. The mean of five independent draws has a standard error (printed)
   that tells whether a gap between two models is larger than that noise. With 20 draws the standard error falls
   by a factor of about $\sqrt{20/5} = 2$.
3. Precision would improve (the points lie near the data, if the curve passes through the moons), recall would
   collapse: a curve's k-NN balls are tiny and miss most real points. Showing means trades one failure for the other.
4. The GAN has no likelihood at all, the VAE and the diffusion model only bounds (ELBO), which are not comparable
   with the exact log-likelihoods of the mixture and the flow. Sample-based scores are the common ground.
5. Samples that all lie on the moons (every sample inside a real ball: high precision) but with the wrong
   proportions, for instance 60% on one moon and 40% on the other, or too many at one end of a moon. The energy
   distance compares whole distributions and charges for the misplaced mass; precision does not.
6. A memorisation or membership-inference test (samples should not be closer to training records than held-out
   records are; notebooks 12 and 15) and a bias audit of the samples' group balance against the data (notebook
   15); also a fidelity check (a detector that tells synthetic from real records, notebook 15) and the
   usefulness of the data for the task (train on synthetic, test on real).
### END SOLUTION
""", nbgrader={"grade": True, "grade_id": "16-answers", "locked": False, "points": 0, "schema_version": 3,
               "solution": True, "task": False})

nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                   "language_info": {"name": "python"}},
      "nbformat": 4, "nbformat_minor": 5}
PATH.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {PATH} ({len(cells)} cells)")
