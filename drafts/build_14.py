"""Build notebooks/14-future-directions-of-generative-models.ipynb (helper 14; the lead reviews and commits)."""

import sys

sys.path.insert(0, "/work/main")
from course_utils._authoring import answer, check, code, header, md, parameters, setup, solution, write  # noqa: E402

FILE = "14-future-directions-of-generative-models.ipynb"
cells = []
add = cells.append

add(header("14", "Future Directions of Generative Models", FILE))
add(md(r'''
## Learning objectives

By the end of this notebook you will be able to:

- explain a denoising diffusion model (DDPM, Ho et al. 2020): the forward process, its closed form, the
  noise-prediction loss and the learned reverse process, and why a short schedule must reach $\bar\alpha_T \approx 0$;
- train one on two moons and compare its samples with a Gaussian mixture's and a normalizing flow's using
  the metrics of notebook 11 (energy distance, precision and recall);
- measure what quantisation and pruning do to a model's file size, speed and sample quality, and say why
  pruning alone shrinks neither;
- benchmark samples per second fairly (warm-up, repeats) and trade speed for quality with DDIM;
- build text-to-image generation in miniature: a prompt's words condition a generator, and the generated
  images are measured against the prompt;
- personalise a model with five examples of one writer, and measure both what it gains and what it forgets;
- connect these measurements to hybrid models and to applications in healthcare, entertainment, art and finance.

*Time: about 75 minutes (20 for diffusion, 25 for the measurements of sections 2–5, 20 for the three
exercises, 10 for applications and questions).*
'''))
cells.extend(setup('''import copy
import time
import warnings

import matplotlib.ticker
import torch
from scipy import ndimage
from sklearn.datasets import make_moons
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import course_utils.scalability  # size, quantisation, pruning, throughput: cu.scalability
from course_utils.diffusion import Denoiser, Schedule, q_sample, sample, train_diffusion
from course_utils.vae import ConditionalVAE, train_cvae'''))
cells.extend(parameters())
add(code(r'''
# Budget: FAST keeps the notebook under a minute of CPU time; the story is the same with FAST=False.
DIFF_EPOCHS = 600 if FAST else 3000  # passes of the diffusion model over 2,000 points (2 Adam steps each)
FLOW_EPOCHS = 100 if FAST else 600  # passes of the RealNVP flow (4 Adam steps each)
CVAE_EPOCHS = 15 if FAST else 50  # passes of each conditional VAE over the 1,437 training digits (Adam, lr 3e-3)
N = 2000  # samples per draw when we score a model
if device.type == "cpu":
    torch.set_num_threads(1)  # tiny networks: one thread is as fast as several, and kind to shared machines
# NumPy's BLAS too: on a busy 2-core machine its threads wait for each other, and 25 small GMM fits took
# 40 times longer with two threads than with one in our runs.
threadpool_limits(1)
# torch.ao.quantization announces its move to the torchao package on every call; the API works as documented.
warnings.filterwarnings("ignore", message=".*torch.ao.quantization.*")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.ao")
print(f"DIFF_EPOCHS={DIFF_EPOCHS}, FLOW_EPOCHS={FLOW_EPOCHS}, CVAE_EPOCHS={CVAE_EPOCHS}, N={N}")
'''))

# ---------------------------------------------------------------- section 1: diffusion
add(md(r'''
## 1. Diffusion models: learn to undo noise

The models of this workbook generate in one shot: a GMM picks a component, a VAE or GAN decodes a code, a
flow inverts a map. A **denoising diffusion probabilistic model** (DDPM; Sohl-Dickstein et al. 2015, Ho, Jain &
Abbeel 2020) generates in many small steps. It is the idea behind today's image generators (DALL·E 2,
Imagen, Stable Diffusion) and a good candidate for "the future" of this course's title.

**The forward process** destroys data on purpose. Starting from a data point $x_0$, each of $T$ steps
shrinks the point a little and adds a little Gaussian noise,

$$
q(x_t \mid x_{t-1}) = \mathcal N\big(\sqrt{1-\beta_t}\,x_{t-1},\; \beta_t I\big), \qquad t = 1, \dots, T,
$$

with a **schedule** $0 < \beta_1 < \dots < \beta_T < 1$. Because Gaussians compose, $x_t$ can be drawn
from $x_0$ in one go:

$$
x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon, \qquad
\bar\alpha_t = \prod_{s=1}^{t} (1-\beta_s), \qquad \varepsilon \sim \mathcal N(0, I).
$$

$\bar\alpha_t$ is the share of the signal's variance left after $t$ steps. For generation to work, $x_T$
must be (almost) pure noise, $\bar\alpha_T \approx 0$: then we can start the reverse process from
$\mathcal N(0, I)$ without knowing the data.

**The reverse process** is learned. A network $\varepsilon_\theta(x_t, t)$ looks at a noisy point and the
step and predicts the noise that was added. Ho et al. train it with the "simple" loss

$$
L_{\text{simple}}(\theta) = \mathbb E_{t,\,x_0,\,\varepsilon}\Big[\big\lVert \varepsilon -
\varepsilon_\theta\big(\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\ t\big)\big\rVert^2\Big],
$$

a weighted version of the ELBO of notebook 08 (the diffusion model is a VAE with $T$ fixed encoder steps).
Sampling starts at $x_T \sim \mathcal N(0, I)$ and walks back,

$$
x_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\varepsilon_\theta(x_t, t)\Big)
+ \sigma_t z, \qquad z \sim \mathcal N(0, I),\ \sigma_t^2 = \beta_t,
$$

with no noise at the last step. `course_utils.diffusion` has all of it: `Schedule`, `q_sample` (the
closed form), `Denoiser` (an MLP $\varepsilon_\theta$ with a sinusoidal step embedding), `train_diffusion`
and `sample`. In code the steps are numbered $0, \dots, T-1$: code step `t` is the paper's step $t + 1$.

### The data: two moons

We use the two moons of notebooks 06 and 10 (noise 0.05), 2,000 training and 2,000 held-out points,
standardised (each coordinate to mean 0 and variance 1, using the training set's statistics), so that the
data and the noise $\mathcal N(0, I)$ live on the same scale.
'''))
add(code(r'''
X_raw, _ = make_moons(N, noise=0.05, random_state=SEED)  # (2000, 2) training points
X_raw_test, _ = make_moons(N, noise=0.05, random_state=1000 + SEED)  # (2000, 2) held out
mean, std = X_raw.mean(0), X_raw.std(0)
X = ((X_raw - mean) / std).astype(np.float32)  # (2000, 2), standardised
X_test = ((X_raw_test - mean) / std).astype(np.float32)  # (2000, 2), with the training statistics
print(f"training set mean {np.round(X.mean(0), 3) + 0.0}, std {np.round(X.std(0), 3)}; "
      f"held-out mean {np.round(X_test.mean(0), 2) + 0.0}")
'''))
add(md(r'''
### How many steps, and how much noise per step?

Ho et al. used $T = 1000$ steps with $\beta_t$ rising linearly from $10^{-4}$ to $0.02$. That range is tied to
$T$: with fewer steps each one has to add more noise. The cell below computes $\bar\alpha_T$ for the paper's
range with $T = 50$ and for `Schedule`'s default, which scales the range by $1000/T$ (so that
$\sum_t \beta_t$, roughly the total noise, stays the same), and then draws $x_T$ for the two moons under both.
'''))
add(code(r'''
paper_50 = Schedule(50, beta_start=1e-4, beta_end=0.02)  # Ho et al.'s range, but only 50 steps
scaled_50, scaled_100 = Schedule(50), Schedule(100)  # the range scaled by 1000 / T
for s in (paper_50, scaled_50, scaled_100):
    print(s)
alpha_bar_T = float(paper_50.alpha_bars[-1])
assert abs(alpha_bar_T - 0.60) < 0.005, alpha_bar_T
assert float(scaled_50.alpha_bars[-1]) < 1e-2 and float(scaled_100.alpha_bars[-1]) < 1e-2

x0 = torch.tensor(X)
xT_paper = q_sample(x0, paper_50.T - 1, paper_50, seed=SEED).numpy()  # (2000, 2) the last step, code T-1
xT_scaled = q_sample(x0, scaled_100.T - 1, scaled_100, seed=SEED).numpy()
# How much does x_T still remember of x_0? The correlation of each coordinate with its start (sqrt(alpha_bar_T)).
corr_paper, corr_scaled = (np.mean([np.corrcoef(X[:, j], x[:, j])[0, 1] for j in range(2)])
                           for x in (xT_paper, xT_scaled))
print(f"correlation of x_T with x_0: paper's range, T = 50: {corr_paper:.3f} (sqrt(alpha_bar_T) = "
      f"{alpha_bar_T ** 0.5:.3f}); scaled, T = 100: {corr_scaled:+.3f}")
assert corr_paper > 0.7 and abs(corr_scaled) < 0.1, "x_T should forget x_0 only with the scaled range"

fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
for s, label, style in [(paper_50, "T = 50, β 1e-4..0.02 (paper's range)", "-"), (scaled_50, "T = 50, scaled", "--"),
                        (scaled_100, "T = 100, scaled (used below)", ":")]:
    axes[0].plot(np.arange(1, s.T + 1) / s.T, s.alpha_bars.numpy(), style, lw=2, label=label)
axes[0].set(title=r"Signal left after t steps, $\bar\alpha_t$", xlabel="t / T", ylabel=r"$\bar\alpha_t$",
            ylim=(0, 1.3), yticks=np.linspace(0, 1, 6))
axes[0].legend(frameon=False, loc="upper right", fontsize="small")  # above the curves, which start at 1
for ax, pts, title in [(axes[1], xT_paper, rf"$x_T$, paper's range at T = 50 ($\bar\alpha_T$ = {alpha_bar_T:.2f})"),
                       (axes[2], xT_scaled, r"$x_T$, scaled range at T = 100 ($\bar\alpha_T$ < 1e-4)")]:
    ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5)
    ax.set(title=title, xlabel="$x_1$ (standardised)", ylabel="$x_2$ (standardised)", aspect="equal",
           xlim=(-4, 4), ylim=(-4, 4))
plt.show()
'''))
add(md(r'''
With the paper's range and only 50 steps, $\bar\alpha_T = 0.60$ (asserted): 60 % of the signal's variance
survives, and the middle panel still shows the moons' two halves as blurred lobes, shrunk by
$\sqrt{0.6} \approx 0.77$. (In the left panel the two scaled curves nearly coincide: that is what scaling by
$1000/T$ keeps.) A
model trained on that schedule would be sampled from $\mathcal N(0, I)$, a distribution its reverse process
never saw at step $T$. The scaled schedule ends at $\bar\alpha_T < 10^{-4}$ and its $x_T$
has forgotten where it started: the correlation of $x_T$ with $x_0$ is about $\sqrt{0.6} \approx 0.77$ for the
paper's range and near zero for the scaled one (printed; asserted above 0.7 for the paper's range, and below 0.1 in absolute value for the scaled one). Nichol & Dhariwal (2021) propose a cosine schedule (`Schedule(T, kind="cosine")`) that
destroys the signal more evenly over the steps; we keep the linear one of the paper.

### The forward process, step by step

Below, the same 2,000 points at five steps of the $T = 100$ schedule, each drawn with `q_sample` in one go.
'''))
add(code(r'''
schedule = scaled_100
show_steps = [0, 9, 24, 49, 99]  # code steps: the paper's t = 1, 10, 25, 50, 100
fig, axes = plt.subplots(1, len(show_steps), figsize=(14, 3.2), layout="constrained")
for ax, t in zip(axes, show_steps):
    xt = q_sample(x0, t, schedule, seed=SEED).numpy()  # (2000, 2)
    ax.scatter(xt[:, 0], xt[:, 1], s=1, alpha=0.5)
    ax.set(title=rf"t = {t + 1}: $\bar\alpha_t$ = {float(schedule.alpha_bars[t]):.2g}", xlabel="$x_1$",
           aspect="equal", xlim=(-4, 4), ylim=(-4, 4))
axes[0].set_ylabel("$x_2$")
fig.suptitle("The forward process q(x_t | x_0) on two moons (T = 100, standardised units)")
plt.show()
'''))
add(md(r'''
### Exercise 1 — the diffusion loss (2 points)

Write `my_diffusion_loss(model, x0, t, noise, schedule)`: the simple loss for **given** steps and noise (so
that the answer is deterministic). The inputs are a network `model(x_t, t)` that returns the predicted noise
`(B, d)`, clean data `x0` `(B, d)`, integer code steps `t` `(B,)` in $0, \dots, T-1$, the noise
$\varepsilon$ `noise` `(B, d)` and a `Schedule`. Build $x_t$ with the closed form above, where code step `t`
uses `schedule.alpha_bars[t]` (a float64 tensor), and return a **0-d tensor** that keeps its gradient: the
squared error between the predicted and the true noise, **averaged** over the $B$ rows and the $d$
coordinates. Not allowed (the check refuses them): `q_sample` and `cu.diffusion.diffusion_loss`.
'''))
add(solution(r'''
def my_diffusion_loss(model, x0, t, noise, schedule):
    # x0, noise (B, d); t (B,) code steps -> 0-d tensor: mean squared error of the predicted noise
    ### BEGIN SOLUTION
    ab = schedule.alpha_bars[t].to(x0.dtype)[:, None]  # (B, 1)
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise  # (B, d)
    return (model(x_t, t) - noise).pow(2).mean()
    ### END SOLUTION
''', "14-ex1-diffusion-loss"))
add(check(r'''
my_diffusion_loss = cu.exercises.check(
    cu.exercises.forbid_calls(my_diffusion_loss, ["q_sample", "diffusion_loss"],
                              rule="write the forward process with alpha_bars"),
    cu.exercises.reference_diffusion_loss, name="my_diffusion_loss",
    cases=[cu.exercises.diffusion_loss_case(0, 50, 10, label="T = 10, 50 points, steps 0 and T-1 included"),
           cu.exercises.diffusion_loss_case(1, 20, 50, label="T = 50, 20 points"),
           cu.exercises.diffusion_loss_case(2, 7, 100, label="T = 100, 7 points"),
           cu.exercises.diffusion_loss_case(3, 30, 50, reads_input=True,
                                            label="T = 50, a stand-in model w * x_t that reads its input")],
    compare_fn=cu.exercises.compare_scalar_loss,
    hint=("the network must see x_t, the noised point, built with the square roots of the signal and noise "
          "variances; alpha_bars is float64, so bring it to the data's dtype before mixing. x_t needs the signal left after all t steps (the cumulative product), not the one step's "
          "alpha; code step t is row t of alpha_bars. Reshape the (B,) factors to a column so they "
          "broadcast over the d coordinates, and average the squared error over rows and coordinates."))
### BEGIN HIDDEN TESTS
_m = Denoiser(2, hidden_dim=8, n_layers=1, seed=0)
_x = torch.zeros(3, 2)
assert my_diffusion_loss(_m, _x, torch.tensor([0, 1, 2]), torch.zeros(3, 2), Schedule(5)).ndim == 0
### END HIDDEN TESTS
''', "14-ex1-diffusion-loss-check", points=2))

add(md(r'''
### Training the denoiser

`Denoiser(2)` is a three-layer MLP, 64 units wide, whose step embedding is added to every hidden layer.
`train_diffusion` draws a random step and fresh noise for every point of every batch and minimises
$L_{\text{simple}}$ with Adam. A network that predicts $\varepsilon = 0$ would score 1, the noise's variance;
the loss cannot reach 0 either: at large $t$ the noise is nearly all there is, and nobody can tell
which part of $x_t$ was noise.
'''))
add(code(r'''
net = Denoiser(2, seed=SEED)
t0 = time.perf_counter()
diff_history = train_diffusion(net, X, schedule=schedule, epochs=DIFF_EPOCHS, seed=SEED, device=device,
                               progress=True)
diff_seconds = time.perf_counter() - t0
net = net.cpu()  # the measurements below run on the CPU (section 3 also times the GPU, when there is one)
first, last = np.mean(diff_history.loss[:10]), np.mean(diff_history.loss[-10:])
print(f"{DIFF_EPOCHS} epochs in {diff_seconds:.1f} s; loss (mean of 10 epochs) {first:.3f} at the start, "
      f"{last:.3f} at the end")
assert last < 0.8 * first, "the noise-prediction loss should fall"

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
ax.plot(diff_history.epoch, diff_history.loss, lw=0.6)
ax.set(title="Training the denoiser on two moons", xlabel="epoch", ylabel="simple loss (MSE of the noise)",
       yscale="log")
plt.show()
'''))
add(md(r'''
The loss falls (asserted by at least a fifth; both values printed) and flattens well above zero, as it
must. The curve is noisy because every batch draws new steps: a batch that happens to hold many large
$t$ scores worse.

### The learned reverse process

`sample(..., trajectory=True)` also returns the points after every step. We start 2,000 points from pure
noise and watch them at six moments of the walk back.
'''))
add(code(r'''
x_gen, path = sample(net, schedule, N, seed=SEED, trajectory=True)  # (2000, 2), (T + 1, 2000, 2)
print(f"trajectory: {tuple(path.shape)} = (T + 1 snapshots, points, coordinates)")
remaining = [100, 75, 50, 25, 10, 0]  # steps still to go
fig, axes = plt.subplots(1, len(remaining), figsize=(15, 3), layout="constrained")
for ax, r in zip(axes, remaining):
    pts = path[schedule.T - r].numpy()
    ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.5, c="C1")
    ax.set(title=f"{r} steps to go" if r else "x_0: the samples", xlabel="$x_1$", aspect="equal",
           xlim=(-4, 4), ylim=(-4, 4))
axes[0].set_ylabel("$x_2$")
fig.suptitle("DDPM sampling: from N(0, I) back to the data (standardised units)")
plt.show()
walk = {r: cu.metrics.energy_distance(X_test, path[schedule.T - r].numpy()) for r in remaining}
print("energy distance to the held-out data along the walk:",
      ", ".join(f"{r} to go: {walk[r]:.3f}" for r in remaining))
share_late = (walk[25] - walk[0]) / (walk[100] - walk[0])
print(f"share of the total improvement made in the last 25 of the 100 steps: {share_late:.2f}")
assert share_late > 0.3, "the last quarter of the walk should do far more than a quarter of the work"
'''))
add(md(r'''
For most of the walk not much seems to happen: the cloud stays round. The moons appear in the last quarter
of the steps, when $\bar\alpha_t$ is large enough for the data's shape to matter, and the final steps
sharpen them: the last 25 of the 100 steps make about half of the whole fall in energy distance to the data
(the printed share; asserted above 0.3), far more than their share of the steps. Most of the shape is made
late, which is why the late steps deserve care; the DDIM sampler of section 3 simply takes evenly spaced
steps, early and late alike, and pays for it in quality.

### Diffusion against a mixture and a flow

How good are these samples? We score each model against the **held-out** points with a distance new in this
notebook, `cu.metrics.energy_distance`, and with notebook 11's precision and recall: the **energy distance** $2\,\mathbb E\lVert X-Y\rVert - \mathbb E\lVert X-X'\rVert - \mathbb E\lVert Y-Y'\rVert$ (0 for
identical distributions; lower is better) and **precision** (share of samples inside the data's manifold:
fidelity) and **recall** (share of data inside the samples' manifold: diversity), $k = 3$.

The rivals are a Gaussian mixture whose number of components is chosen by BIC (notebook 06), the RealNVP
flow of notebook 10, and a single Gaussian as a floor. A single draw of 2,000 samples is a noisy score
(a few more points on one moon than on the other moves it a lot), so every model is scored on **three**
independent draws and we report the mean, and the spread. As a ceiling, the training set itself, scored
against the held-out set, shows what "as good as real data" looks like at this sample size.
'''))
add(code(r'''
gmms = [GaussianMixture(k, random_state=SEED).fit(X) for k in range(1, 26)]
gmm = min(gmms, key=lambda m: m.bic(X))
assert 1 < gmm.n_components < 25, "BIC's choice should lie inside the range tried"

torch.manual_seed(SEED)  # the flow's coupling networks are initialised by torch
flow = cu.flows.RealNVP(2, n_layers=6, hidden_dim=64, mixing="lu", seed=SEED, init_rotation=60)
t0 = time.perf_counter()
cu.flows.train_flow(flow, X, epochs=FLOW_EPOCHS, batch_size=512, lr=1e-2, noise_std=0.02, max_grad_norm=5.0,
                    init_from_data=True, device=device, progress=True, seed=SEED)
flow_seconds = time.perf_counter() - t0
flow = flow.cpu()


def gmm_sample(model, n, seed):
    # n points from a fitted sklearn mixture, shuffled (sklearn returns them sorted by component)
    model.set_params(random_state=seed)  # only the sampling randomness; the fit is untouched
    points = model.sample(n)[0]
    return points[np.random.default_rng(seed).permutation(n)].astype(np.float32)


GMM_NAME = f"GMM (K = {gmm.n_components}, BIC)"
samplers = {
    "single Gaussian": lambda n, s: gmm_sample(gmms[0], n, s),
    GMM_NAME: lambda n, s: gmm_sample(gmm, n, s),
    "RealNVP flow": lambda n, s: flow.sample(n, seed=s).detach().numpy(),
    "diffusion (DDPM, 100 steps)": lambda n, s: sample(net, schedule, n, seed=s).numpy(),
}


def score(draw, n_draws=3):
    # mean and std of the energy distance over n_draws draws, and precision / recall of the first draw
    draws = [draw(N, 100 * SEED + i) for i in range(n_draws)]
    ed = [cu.metrics.energy_distance(X_test, d) for d in draws]
    precision, recall = cu.metrics.precision_recall(X_test, draws[0], k=3)
    return np.mean(ed), np.std(ed), precision, recall


scores = {name: score(draw) for name, draw in samplers.items()}
real_ed = cu.metrics.energy_distance(X_test, X)
real_pr = cu.metrics.precision_recall(X_test, X, k=3)
print(f"{'model':30s} {'energy distance (x1e-3)':>24s} {'precision':>10s} {'recall':>8s}")
for name, (ed, ed_sd, p, r) in scores.items():
    print(f"{name:30s} {1e3 * ed:14.2f} ± {1e3 * ed_sd:5.2f} {p:10.3f} {r:8.3f}")
print(f"{'training data (ceiling)':30s} {1e3 * real_ed:14.2f}         {real_pr[0]:10.3f} {real_pr[1]:8.3f}")
ranking = sorted((n for n in scores if n != "single Gaussian"), key=lambda n: scores[n][0])
print("ranking by energy distance (best first):", " < ".join(ranking))
print(f"the diffusion model's energy distance is {scores['diffusion (DDPM, 100 steps)'][0] / scores[GMM_NAME][0]:.1f} "
      f"times the mixture's")
print(f"training time: diffusion {diff_seconds:.1f} s, flow {flow_seconds:.1f} s")
ed_diff, ed_single = scores["diffusion (DDPM, 100 steps)"][0], scores["single Gaussian"][0]
assert ed_diff < ed_single / 4, "the diffusion model should be far closer to the moons than one Gaussian"
assert scores["diffusion (DDPM, 100 steps)"][2] > max(0.5, scores["single Gaussian"][2]), \
    "most diffusion samples should lie on the moons, many more than of one Gaussian"
'''))
add(code(r'''
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), layout="constrained")
shown = [("held-out data", X_test)] + [(name, samplers[name](N, 100 * SEED)) for name in list(samplers)[1:]]
for ax, (name, pts) in zip(axes, shown):
    ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.5, c="C0" if name == "held-out data" else "C1")
    title = name if name == "held-out data" else f"{name}\nED {1e3 * scores[name][0]:.2f}e-3 (3 draws)"
    ax.set(title=title, xlabel="$x_1$", aspect="equal", xlim=(-2.5, 2.5), ylim=(-2.5, 2.5))
axes[0].set_ylabel("$x_2$")
fig.suptitle("2,000 samples of each model against the held-out moons (standardised units)")
plt.show()
'''))
add(md(r'''
All three models put most of their samples on the moons, and the diffusion model is far closer to the data
than a single Gaussian (asserted: at least four times lower energy distance; its precision is asserted above
one half and above the single Gaussian's). In our runs its precision was the lowest of the three and its recall the highest:
the samples spread too wide around the moons, most of all after short training: with FAST's budget its precision
is well below the others' and a haze of samples fills the gap between the moons (read the printed table and the
figure). **Which of the three wins is not settled here**: the ranking printed above changes with the seed and
with the training budget (`FAST`). In our runs with the `FAST` budget (seconds of CPU per model) the
mixture came first and the diffusion model second, ahead of the flow, whose `FAST` budget is the shortest
(seeds 0, 1 and 2); with `FAST=False` (five times the diffusion training, six times the flow's) the flow came
first and the diffusion model second, both ahead of the mixture (seed 0); a mixture is a strong rival on two dimensions, where a dozen Gaussians tile two thin moons well.

> **Why diffusion, then?** Its strengths show where these rivals fail. A mixture needs exponentially many
> components as the dimension grows; a flow must be invertible, which limits its networks. The denoiser
> can be *any* network — a U-Net on images, a Transformer on latents — trained with a plain regression
> loss that is stable (no adversary, unlike a GAN; notebook 10) and does not suffer the mode collapse of GANs.
> The price is sampling: 100 network evaluations per sample here, 1,000 in the paper. Section 3 measures it.
'''))


# ---------------------------------------------------------------- section 2: scalability
add(md(r'''
## 2. Scalability: smaller and faster models

Large generators are expensive to store and to run: a model with $10^9$ parameters in 32-bit floats is a
4 GB file, and every sample pays for every weight. Two standard ways to cut the cost:

- **Quantisation** stores each weight in fewer bits. *Dynamic int8 quantisation* (PyTorch's
  `quantize_dynamic`) keeps every `nn.Linear` weight matrix $W$ as 8-bit integers $q$ with one scale $s$ per
  matrix, $W \approx s\,q$, $q \in \{-128, \dots, 127\}$, and quantises each layer's input on the fly. A
  quarter of the bytes per weight; the rounding error is at most $s/2$ per weight.
- **Pruning** sets the smallest weights to zero. *Global magnitude pruning* ranks all the weights of all
  layers by $|w|$ and zeroes the smallest share (here 50 % and 90 %).

`cu.scalability` wraps both (`quantize_int8`, `prune_linear`) and measures the file size (`state_size_bytes`:
the bytes of `torch.save(model.state_dict())`), the zero share (`linear_sparsity`) and the throughput
(`samples_per_second`). We apply them to the trained diffusion model and measure size, speed and the
quality of its samples (the energy distance of section 1, three draws).
'''))
add(code(r'''
S = cu.scalability
variants = {"float32 (trained)": net, "int8 dynamic": S.quantize_int8(net), "pruned 50%": S.prune_linear(net, 0.5),
            "pruned 90%": S.prune_linear(net, 0.9)}
timings = {name: [] for name in variants}  # samples/s, one entry per round
for round_ in range(3):  # interleaved rounds, so that no variant alone pays for a slow start of the machine
    for name, model in variants.items():
        timings[name].append(S.samples_per_second(lambda n, m=model: sample(m, schedule, n, seed=SEED), 1000,
                                                  repeats=1, warmup=1 if round_ == 0 else 0))
table = {}
for name, model in variants.items():
    speed = float(np.median(timings[name]))  # the median of the three rounds
    ed = np.mean([cu.metrics.energy_distance(X_test, sample(model, schedule, N, seed=100 * SEED + i).numpy())
                  for i in range(3)])
    zeros = 0.0 if name.startswith("int8") else S.linear_sparsity(model)
    table[name] = dict(kb=S.state_size_bytes(model) / 1024, zeros=zeros, speed=speed, ed=ed)
base = table["float32 (trained)"]
print(f"{'model':18s} {'file (KB)':>10s} {'zero weights':>13s} {'samples/s':>10s} {'energy dist. (x1e-3)':>21s}"
      f" {'vs float':>9s}")
for name, row in table.items():
    print(f"{name:18s} {row['kb']:10.1f} {row['zeros']:13.2f} {row['speed']:10.0f} {1e3 * row['ed']:21.3g}"
          f" {row['ed'] / base['ed']:8.3g}x")
n_weights = sum(p.numel() for p in net.parameters())
print(f"{n_weights:,} parameters; float32 needs {4 * n_weights / 1024:.1f} KB for them alone")

q = table["int8 dynamic"]
assert q["kb"] < 0.5 * base["kb"], "int8 weights should take well under half the float file"
assert q["ed"] < 1.5 * base["ed"], "int8 rounding should barely change the samples"
for amount in (50, 90):
    row = table[f"pruned {amount}%"]
    assert abs(row["kb"] - base["kb"]) < 0.01 * base["kb"], "a pruned dense tensor is as big as before"
    assert abs(row["zeros"] - amount / 100) < 0.01
assert table["pruned 90%"]["ed"] > 5 * base["ed"], "90% pruning without retraining should wreck the samples"
wild = sample(variants["pruned 90%"], schedule, N, seed=SEED).abs().max()
print(f"int8 speed / float speed: {q['speed'] / base['speed']:.2f}; the 90%-pruned model's samples reach "
      f"|x| = {float(wild):.3g} (the data stay within about 3): its sampler diverges")
assert float(wild) > 10, "the 90%-pruned sampler should run far off the data"
'''))
add(md(r'''
Read the table column by column.

- **File size.** The int8 model's file is well under half the float one (asserted; not a quarter,
  because the biases stay in float, each layer stores its scale and zero point, and the file has fixed
  overhead that matters for a 60 KB model). The pruned files are *exactly as large* as the float file
  (asserted within 1 %): a zero is stored in 32 bits like any other number. Pruning saves space only
  when the zeros are not stored: a sparse format (indices plus values, which pays off only at high
  sparsity) or compression of the file.
- **Speed** (the median of three interleaved rounds). The pruned models do the same dense arithmetic as the
  float model, so any difference in their column comes from the machine (timing noise, caches), not from
  the zeros. The int8 model is not reliably faster at this size: in
  our runs it was slower than the float model or within timing noise of it (compare the printed
  numbers). Quantising each layer's input on the fly costs about as much as it saves on 64 × 64 matrix products. Quantisation pays off for large layers, where moving the weights through
  memory is the bottleneck, and on hardware with int8 arithmetic (phones, GPUs' tensor cores).
  Unstructured zeros speed nothing up on ordinary hardware; *structured* pruning (whole neurons or
  channels removed) makes the matrices smaller and does.
- **Quality.** Int8 rounding barely moves the samples (asserted within 1.5 times the float model's
  energy distance; usually within a few per cent). Pruning hurts fast: the printed ratio grows with the
  pruned share, and at 90 % the model no longer draws moons at all (asserted: more than five times
  worse): its reverse walk diverges, the samples fly far off the plot (their largest coordinate is printed),
  so its energy distance is not a quality score any more, only a sign of failure. In practice one prunes gradually and fine-tunes between the steps (Han et al. 2015, "Learning
  both weights and connections"), which recovers much of the quality; a 64-wide network has little to spare.
'''))
add(md(r'''
### Exercise 2 — quantise a model and measure (2 points)

Write `my_quantization_report(model, x, t)`. `model` is a float `Denoiser` on the CPU in eval mode, `x` a
tensor `(B, 2)` of points and `t` a long tensor `(B,)` of steps. Quantise a **copy** of the model (leave
`model` itself unchanged) with `torch.ao.quantization.quantize_dynamic`, its `nn.Linear` layers to
`torch.qint8`, and return a tuple of two floats:

1. the **size ratio**: the bytes of the float model's saved `state_dict()` divided by those of the
   quantised copy's (greater than 1 when quantisation saves space). Measure the bytes yourself with
   `torch.save` into an `io.BytesIO` buffer or a file; `cu.scalability.state_size_bytes` is fine too;
2. the **largest absolute difference** between the two models' outputs on `(x, t)`.

Not allowed: `cu.scalability.quantize_int8` and the reference. Sizes of a saved file depend a little on how
it is saved (the archive's name is stored inside it), so the check accepts a ratio within 10 % of its own.
'''))
add(solution(r'''
def my_quantization_report(model, x, t):
    # float model, x (B, 2), t (B,) -> (file bytes of float / file bytes of int8, max |output difference|)
    ### BEGIN SOLUTION
    quantised = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
    ratio = cu.scalability.state_size_bytes(model) / cu.scalability.state_size_bytes(quantised)
    error = (model(x, t) - quantised(x, t)).detach().abs().max()
    return ratio, float(error)
    ### END SOLUTION
''', "14-ex2-quantization"))
add(check(r'''
my_quantization_report = cu.exercises.check(
    cu.exercises.forbid_calls(my_quantization_report, ["quantize_int8"],
                              rule="quantise with torch.ao.quantization.quantize_dynamic yourself"),
    cu.exercises.reference_quantization_report, name="my_quantization_report",
    cases=[cu.exercises.quantization_case(0, 64, 200, label="an untrained 64-wide Denoiser, 200 points"),
           cu.exercises.quantization_case(1, 16, 50, label="a 16-wide Denoiser, 50 points"),
           cu.exercises.case(copy.deepcopy(net).eval(), torch.tensor(X_test[:100]), torch.arange(100),
                             label="the trained model of section 1, 100 held-out points at steps 0..99")],
    rtol=0.1, atol=1e-6,
    hint=("float bytes over int8 bytes, so that a saving reads as a ratio above 1; quantise a copy, or the "
          "float model you compare with is gone. For the error, the worst case over all outputs, not an "
          "average, with gradients off. Sizes are the saved file's bytes: a quantised layer packs its int8 "
          "weights, so they are not among its parameters()."))
### BEGIN HIDDEN TESTS
_r, _e = my_quantization_report(copy.deepcopy(net).eval(), torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
assert _r > 1 and _e >= 0
_float = copy.deepcopy(net).eval()
my_quantization_report(_float, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
assert all(type(m) is torch.nn.Linear for m in _float.modules() if "Linear" in type(m).__name__), \
    "the model passed in must stay a float model: quantise a copy"
### END HIDDEN TESTS
''', "14-ex2-quantization-check", points=2))

# ---------------------------------------------------------------- section 3: real-time generation
add(md(r'''
## 3. Real-time generation: samples per second

A video game that fills a scene, a voice assistant that answers while you listen, a camera filter at 30
frames per second: these need a sample in milliseconds. How fast a generator is depends on how many
network evaluations one sample needs:

| model | network evaluations per sample |
|---|---|
| GMM | none (pick a component, draw a Gaussian) |
| flow, VAE, GAN | one pass through the network |
| diffusion, DDPM | $T$ = 100 here (1,000 in Ho et al.) |
| diffusion, DDIM | as few as you choose, e.g. 10 |

**DDIM** (Song, Meng & Ermon 2021) reuses the trained denoiser with a deterministic update that can jump
over steps: from the current $x_t$ it estimates the clean point
$\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\varepsilon_\theta)/\sqrt{\bar\alpha_t}$, then re-noises it to an earlier
step $s$ with the same predicted noise, $x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\varepsilon_\theta$.
With 10 of the 100 steps it is about ten times cheaper, with no retraining.

A fair benchmark (`cu.scalability.samples_per_second`) makes one untimed **warm-up** call (memory
allocation, caches and, on a GPU, kernel selection and launch make the first call slow), then times several
calls of the same batch size and divides the samples by the seconds. On a GPU it must also wait for the
device to finish (`torch.cuda.synchronize`), because GPU calls return before the work is done.
'''))
add(code(r'''
BATCH = 1000
generators = {
    "diffusion, DDPM (100 steps)": lambda n: sample(net, schedule, n, seed=SEED),
    "diffusion, DDIM (25 steps)": lambda n: sample(net, schedule, n, seed=SEED, method="ddim", steps=25),
    "diffusion, DDIM (10 steps)": lambda n: sample(net, schedule, n, seed=SEED, method="ddim", steps=10),
    "RealNVP flow": lambda n: flow.sample(n, seed=SEED).detach(),
    f"GMM (K = {gmm.n_components})": lambda n: gmm.sample(n),
}
speed = {name: S.samples_per_second(gen, BATCH, repeats=5) for name, gen in generators.items()}
quality = {"diffusion, DDPM (100 steps)": scores["diffusion (DDPM, 100 steps)"][0],
           "RealNVP flow": scores["RealNVP flow"][0], f"GMM (K = {gmm.n_components})": scores[GMM_NAME][0]}
for steps in (25, 10):  # DDIM's samples are new, so score them as in section 1 (three draws)
    quality[f"diffusion, DDIM ({steps} steps)"] = np.mean([cu.metrics.energy_distance(X_test, sample(
        net, schedule, N, seed=100 * SEED + i, method="ddim", steps=steps).numpy()) for i in range(3)])
frame_ms = 1000 / 60  # one frame at 60 frames per second
print(f"on the CPU (one thread), batches of {BATCH}:")
print(f"{'generator':30s} {'samples/s':>11s} {'per 60 Hz frame':>16s} {'energy dist. (x1e-3)':>21s}")
for name in generators:
    print(f"{name:30s} {speed[name]:11.0f} {speed[name] * frame_ms / 1000:16.0f} {1e3 * quality[name]:21.2f}")
ddpm, ddim10 = speed["diffusion, DDPM (100 steps)"], speed["diffusion, DDIM (10 steps)"]
gmm_speed, flow_speed = speed[f"GMM (K = {gmm.n_components})"], speed["RealNVP flow"]
print(f"DDIM with 10 steps is {ddim10 / ddpm:.1f} times as fast as DDPM with 100; the mixture "
      f"{gmm_speed / ddpm:.0f} times, the flow {flow_speed / ddpm:.0f} times (the flow is "
      f"{gmm_speed / flow_speed:.1f} times slower than the mixture)")
assert ddim10 > 3 * ddpm, "10 network evaluations should be much faster than 100"
q10 = quality["diffusion, DDIM (10 steps)"]
assert q10 > quality["diffusion, DDPM (100 steps)"] and q10 > quality["diffusion, DDIM (25 steps)"], \
    "skipping 90 of the 100 steps should cost quality"
assert speed[f"GMM (K = {gmm.n_components})"] > ddpm, "a mixture needs no network at all"

if device.type == "cuda":  # the same two samplers on the GPU, with the synchronising timer
    net_gpu = copy.deepcopy(net).to(device)
    for name, kw in [("DDPM (100 steps)", {}), ("DDIM (10 steps)", dict(method="ddim", steps=10))]:
        for n in (BATCH, 100_000):
            sps = S.samples_per_second(lambda n, kw=kw: sample(net_gpu, schedule, n, seed=SEED, **kw), n, repeats=3,
                                       device=device)
            print(f"on the GPU ({torch.cuda.get_device_name(device)}), {name}, batches of {n:,}: {sps:,.0f} samples/s")
else:
    print("no GPU here: run with DEVICE='cuda' on a machine that has one to add GPU timings")
'''))
add(code(r'''
fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
for i, name in enumerate(generators):
    ax.scatter(speed[name], 1e3 * quality[name], s=60, color=f"C{i}", label=name, zorder=3)
ax.axhline(1e3 * real_ed, color="grey", ls="--", lw=1, label="training data vs held-out (ceiling)")
ax.axvline(1000 * 1000 / frame_ms, color="grey", ls=":", lw=1, label="1,000 samples per 60 Hz frame")
ax.set(xscale="log", yscale="log", xlabel="samples per second (CPU, one thread; log scale)",
       ylabel="energy distance to held-out data (x1e-3, log scale)",
       title="Speed against quality: lower right is better")
ax.legend(frameon=False, fontsize=8, loc="upper left")
ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))  # 1, 2, 5 of each decade
ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
ax.tick_params(axis="x", labelrotation=30)
plt.show()
'''))
add(md(r'''
The printed ratio is the headline: DDIM with 10 steps runs several times as fast as DDPM with 100
(asserted at least three times; ideally about ten, since the cost is the network evaluations; on a shared
machine the printed ratio strays from ten with the load, between 6 and 22 in our runs). It pays in quality:
with 10 steps its energy distance is higher than DDPM's and than DDIM's with 25 steps (both asserted; the
25-step sampler sits between in our runs). The mixture needs no network and is the fastest of all, dozens
of times DDPM (40 to 85 in our runs) (printed; asserted faster than DDPM); the flow needs one network pass and is a few
times slower than the mixture (printed), still far ahead of DDPM. That is the "real-time" problem of diffusion models in one
picture, and why the field works on samplers with fewer steps (DDIM, DPM-Solver) and on *distilling* a
diffusion model into a one-step student (progressive distillation, Salimans & Ho 2022; consistency models,
Song et al. 2023).

On a **GPU**, expect the picture to change with the batch size: a 64-wide network on 1,000 points leaves a
GPU almost idle, so its samples per second should grow nearly in proportion to the batch until the device
is busy, while a CPU gains little from larger batches. When this notebook runs on a machine with a GPU, the cell above
prints both batch sizes; here it says whether it found one.
'''))
add(md(r'''
### Exercise 3 — a throughput benchmark (2 points)

Write `my_samples_per_second(generate, n, repeats)`. `generate(n)` returns `n` samples (its return value
does not matter here). Make **one untimed warm-up call**, then time `repeats` calls of `generate(n)` with a
wall clock (`time.perf_counter`) and return one positive float: the number of samples those timed calls
produced divided by the seconds they took. Not allowed: `cu.scalability.samples_per_second`, which the
check compares with. The check's generators sleep a known time per call, and their first call is slower,
like a real first call; it accepts a rate within the range that timing noise on a busy machine allows
(a factor 0.65 to 1.4 of its own measurement).
'''))
add(solution(r'''
def my_samples_per_second(generate, n, repeats):
    # generate(n) -> samples; returns samples per second over `repeats` timed calls after one warm-up
    ### BEGIN SOLUTION
    generate(n)  # warm-up, not timed
    start = time.perf_counter()
    for _ in range(repeats):
        generate(n)
    return n * repeats / (time.perf_counter() - start)
    ### END SOLUTION
''', "14-ex3-throughput"))
add(check(r'''
my_samples_per_second = cu.exercises.check(
    cu.exercises.forbid_calls(my_samples_per_second, ["samples_per_second"], rule="time the calls yourself"),
    cu.exercises.reference_samples_per_second, name="my_samples_per_second",
    cases=[cu.exercises.throughput_case(500, 4, 0.3, 0.05, label="n = 500, 4 repeats, a slow first call"),
           cu.exercises.throughput_case(32, 1, 0.2, 0.08, label="n = 32, a single timed call")],
    compare_fn=cu.exercises.compare_throughput,
    hint=("samples divided by seconds, where the samples are the n of every timed call; leave the first "
          "call out of the clock, since it pays one-off costs a steady stream of samples does not."))
### BEGIN HIDDEN TESTS
assert my_samples_per_second(cu.exercises.SlowGenerator(0.0, 0.001), 10, 2) > 0
### END HIDDEN TESTS
''', "14-ex3-throughput-check", points=2))

# ---------------------------------------------------------------- section 4: multimodal
add(md(r'''
## 4. Multimodal generation in miniature: from words to images

Text-to-image models (DALL·E 2, Ramesh et al. 2022; Imagen, Saharia et al. 2022; Stable Diffusion, Rombach
et al. 2022) are conditional generators: $p_\theta(x \mid \text{prompt})$. A text encoder (CLIP's, or the
language model T5) turns the prompt into vectors, and a diffusion model's denoiser reads them at every step.
Two modalities, text and image, meet in one model: that is what *multimodal* means.

We build the same pipeline at the size of the 8×8 digits. The prompt is three words from a vocabulary of
fourteen: a digit name (*zero* … *nine*), a stroke weight (*thin*, *thick*) and a slant (*upright*,
*slanted*). The words are **measured from the images**, not invented:

- **ink** is the total intensity $\sum_p x_p$ of a digit (pixel values in [0, 1]); a digit is *thick* when it has
  more ink than the median of its own class in the training set, *thin* otherwise;
- **slant** is the horizontal shift of the ink per row, $-\operatorname{cov}(\text{column}, \text{row}) /
  \operatorname{var}(\text{row})$ under the pixel intensities (notebook 13; positive: the top leans right); a digit is
  *slanted* when it leans further right than its class's median, *upright* otherwise.

So every training digit gets a caption such as "a thick slanted seven". Our "text encoder" is a lookup:
the three words become one of $10 \times 2 \times 2 = 40$ conditions, handed as a one-hot vector to the
conditional VAE of notebook 13 (`ConditionalVAE`, a 2-D code $z$, the KL weighted by $\beta = 0.25$ as there).
'''))
add(code(r'''
digits = cu.datasets.load_digits()
D = (digits.X / 16).astype(np.float32)  # (1797, 64) pixel intensities in [0, 1]
D_train, D_test, d_train, d_test = train_test_split(D, digits.y, test_size=0.2, random_state=0)


def ink(images):
    # Total intensity of each (n, 64) image: (n,)
    return images.reshape(len(images), -1).sum(1)


def slant(images):
    # Horizontal ink shift per row of (n, 64) images: -cov(column, row) / var(row), positive = leaning right.
    im = images.reshape(-1, 8, 8)
    rows, cols = np.mgrid[0:8, 0:8]
    w = im.sum((1, 2))  # (n,) total ink
    mr, mc = (im * rows).sum((1, 2)) / w, (im * cols).sum((1, 2)) / w  # (n,) centre of the ink
    cov = (im * (rows - mr[:, None, None]) * (cols - mc[:, None, None])).sum((1, 2)) / w
    var = (im * (rows - mr[:, None, None]) ** 2).sum((1, 2)) / w
    return -cov / var  # (n,)


DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
INK_MEDIAN = np.array([np.median(ink(D_train[d_train == k])) for k in range(10)])  # (10,) per class
SLANT_MEDIAN = np.array([np.median(slant(D_train[d_train == k])) for k in range(10)])  # (10,)


def caption(images, labels):
    # The condition 4 * digit + 2 * thick + slanted of each image, measured against its class's medians
    thick = ink(images) > INK_MEDIAN[labels]
    slanted = slant(images) > SLANT_MEDIAN[labels]
    return 4 * labels + 2 * thick + slanted  # (n,) in 0..39


def parse_prompt(prompt):
    # "a thick slanted seven" -> condition 0..39; every attribute must be named once
    words = [w for w in prompt.lower().split() if w not in ("a", "an")]
    digit = [DIGIT_WORDS.index(w) for w in words if w in DIGIT_WORDS]
    weight = [w == "thick" for w in words if w in ("thin", "thick")]
    lean = [w == "slanted" for w in words if w in ("upright", "slanted")]
    unknown = [w for w in words if w not in DIGIT_WORDS + ["thin", "thick", "upright", "slanted"]]
    if unknown or len(digit) != 1 or len(weight) != 1 or len(lean) != 1:
        raise ValueError(f"cannot read {prompt!r}: name one digit, thin or thick, upright or slanted "
                         f"(unknown words: {unknown})")
    return 4 * digit[0] + 2 * weight[0] + lean[0]


def prompt_text(condition):
    return (f"a {'thick' if condition // 2 % 2 else 'thin'} {'slanted' if condition % 2 else 'upright'} "
            f"{DIGIT_WORDS[condition // 4]}")


c_train, c_test = caption(D_train, d_train), caption(D_test, d_test)
counts = np.bincount(c_train, minlength=40)
print(f"{len(D_train)} training captions over 40 prompts: {counts.min()} to {counts.max()} digits per prompt")
print("examples:", "; ".join(prompt_text(c) for c in c_train[:4]), f"(labels {d_train[:4]})")
assert parse_prompt(prompt_text(29)) == 29 and parse_prompt("A thin upright zero") == 0

prompt_cvae = ConditionalVAE(64, n_classes=40, latent_dim=2, hidden_dims=(128, 128))
torch.manual_seed(SEED)  # the networks' initial weights
prompt_history = train_cvae(prompt_cvae, D_train, c_train, epochs=CVAE_EPOCHS, beta=0.25, lr=3e-3,
                            validation=(D_test, c_test),
                            device=device, progress=True, seed=SEED)
prompt_cvae = prompt_cvae.cpu()
print(f"test set: reconstruction {prompt_history.val_reconstruction[-1]:.1f} nats, KL {prompt_history.val_kl[-1]:.2f} nats")
'''))
add(code(r'''
shown_prompts = ["a thin upright seven", "a thick upright seven", "a thin slanted seven", "a thick slanted seven",
                 "a thin upright two", "a thick slanted two", "a thin slanted four", "a thick upright four"]
n_each = 10
conds = np.repeat([parse_prompt(p) for p in shown_prompts], n_each)  # (80,)
images = prompt_cvae.sample(conds, seed=SEED).numpy()  # (80, 64)
fig, ax = plt.subplots(figsize=(8, 7), layout="constrained")
cu.plotting.sample_grid(images, n_cols=n_each, ax=ax, vmin=0, vmax=1, title="Generated from a prompt")
ax.set_yticks(np.arange(len(shown_prompts)) * 9 + 3.5, [f'"{p}"' for p in shown_prompts])
ax.set_xticks(np.arange(n_each) * 9 + 3.5, [str(i + 1) for i in range(n_each)])
ax.set_xlabel("sample (a new code z ~ N(0, I) each)")
fig.colorbar(ax.images[0], ax=ax, label="pixel intensity", shrink=0.6)
plt.show()
'''))
add(md(r'''
Does the generator do what the prompt says? Look at the grid, then measure: 50 samples for each of the 40
prompts, read by the workbook's digits classifier (notebook 11) for the digit, and measured with the same
ink and slant rules that wrote the captions.
'''))
add(code(r'''
clf = cu.metrics.DigitsClassifier.load()  # the workbook's own digits CNN (notebook 11)
all_conds = np.repeat(np.arange(40), 50)  # (2000,)
gen = prompt_cvae.sample(all_conds, seed=SEED + 1).numpy()  # (2000, 64)
want_digit, want_thick, want_slanted = all_conds // 4, all_conds // 2 % 2 == 1, all_conds % 2 == 1
got_thick = ink(gen) > INK_MEDIAN[want_digit]
got_slanted = slant(gen) > SLANT_MEDIAN[want_digit]
digit_ok = (clf.predict(gen) == want_digit).mean()
print(f"the classifier reads the prompt's digit in {digit_ok:.3f} of 2,000 samples "
      f"(on real test digits: {(clf.predict(D_test) == d_test).mean():.3f})")
print(f"share with more ink than their digit's median: 'thick' prompts {got_thick[want_thick].mean():.3f}, "
      f"'thin' prompts {got_thick[~want_thick].mean():.3f}")
print(f"share leaning right of their digit's median: 'slanted' prompts {got_slanted[want_slanted].mean():.3f}, "
      f"'upright' prompts {got_slanted[~want_slanted].mean():.3f}")
all_three = (clf.predict(gen) == want_digit) & (got_thick == want_thick) & (got_slanted == want_slanted)
print(f"samples that match all three words: {all_three.mean():.3f} (a generator that ignored the two style "
      f"words would match about 0.25)")
assert digit_ok > 0.8, "the samples should show the prompt's digit"
assert got_thick[want_thick].mean() > 0.75 and got_thick[~want_thick].mean() < 0.25, "thin/thick should be obeyed"
assert got_slanted[want_slanted].mean() > 0.75 and got_slanted[~want_slanted].mean() < 0.25, "slant should be obeyed"
'''))
add(md(r'''
The generator follows all three words: the classifier reads the prompt's digit in most samples (asserted
above 0.8; printed), and more than three quarters of the "thick" and of the "slanted" samples land on the
thick or slanted side of their class's median, against fewer than a quarter for "thin" and "upright"
(asserted; the printed shares are usually far more one-sided). The share matching all three words is
printed against the quarter a generator deaf to the style words would reach by chance.

> **What the miniature leaves out.** Our "text encoder" is a table of 40 rows: it can only say prompts it
> has seen, and it knows nothing of grammar or synonyms ("bold" is an unknown word). Real text encoders map
> *any* sentence to a vector, trained on hundreds of millions of captioned images (CLIP: 400 million pairs),
> so that prompts never seen in training still land near related ones: "an avocado armchair" works because
> "avocado" and "armchair" each mean something. Two more tools of the real systems: **cross-attention**, so
> that each region of the image can read the words that concern it, and **classifier-free guidance** (Ho &
> Salimans 2021), which pushes samples towards the prompt at some cost in diversity.
'''))

# ---------------------------------------------------------------- section 5: personalisation
add(md(r'''
## 5. Personalisation: adapt to one user with five examples

A model trained on everyone writes like no one in particular. **Personalisation** adapts a trained model to
one user from a handful of their examples: DreamBooth (Ruiz et al. 2023) teaches a text-to-image model a
person's dog from 3–5 photos; keyboards learn your words; voice models learn a voice from a minute of
speech. The risk is the flip side of the gain: with five examples, fine-tuning can **overfit** them and
**forget** what the model knew (*catastrophic forgetting*).

We make a "writer" whose handwriting the model has never seen: the test digits **sheared** so that they lean
right (each row shifted in proportion to its height, $x' = x + 0.4\,(3.5 - \text{row})$ pixels with the rows
counted from the top, so the top moves right and the bottom left). The writer
gives us five digits; their other 355 digits are held out to see whether the model has learned the *writer*,
not the five images. The model is a conditional VAE on the digit alone (notebook 13's model, 128 units wide),
trained on the ordinary training digits; we fine-tune copies of it for 0 to 40 Adam steps on the five
digits and measure, after each budget:

- the writer's held-out $-$ELBO (nats per digit, lower is better): has it learned the writer?
- the $-$ELBO of the ordinary test digits: what did it forget?
- the slant of its samples (50 of each digit), against the writer's; and whether the classifier still reads the digit.
'''))
add(code(r'''
def shear(images, k=0.4):
    # Shift row r (0 at the top) of each 8x8 image by k * (3.5 - r) pixels to the right, so the top leans
    # right: (n, 64) -> (n, 64)
    out = [ndimage.affine_transform(im, np.array([[1.0, 0.0], [k, 1.0]]), offset=(0.0, -3.5 * k), order=1)
           for im in images.reshape(-1, 8, 8)]
    return np.clip(np.stack(out).reshape(-1, 64), 0, 1).astype(np.float32)


base_cvae = ConditionalVAE(64, n_classes=10, latent_dim=2, hidden_dims=(128, 128))
torch.manual_seed(SEED)
train_cvae(base_cvae, D_train, d_train, epochs=CVAE_EPOCHS, beta=0.25, lr=3e-3, device=device, progress=True,
           seed=SEED)
base_cvae = base_cvae.cpu()

writer = shear(D_test)  # (360, 64) the writer's digits
rng = np.random.default_rng(SEED)
few = rng.choice(len(writer), 5, replace=False)  # the five digits the writer gives us
held = np.setdiff1d(np.arange(len(writer)), few)  # the other 355
print(f"the writer's five digits: {d_test[few]}; mean slant of the writer {slant(writer).mean():+.2f}, "
      f"of ordinary test digits {slant(D_test).mean():+.2f}")


def neg_elbo(model, images, labels):
    # -ELBO (beta = 1) in nats per digit, averaged over 5 draws of z
    with torch.no_grad():
        return float(np.mean([model.loss_terms(images, labels, seed=i)["loss"].mean() for i in range(5)]))


y_show = np.tile(np.arange(10), 50)  # (500,) 50 samples of each digit
unseen = ~np.isin(y_show, d_test[few])  # samples of digits the writer never showed
rows, tuned = [], {}
for steps in [0, 5, 10, 20, 40]:
    model = tuned[steps] = copy.deepcopy(base_cvae)
    if steps:  # a batch of all five digits: one Adam step per epoch
        train_cvae(model, writer[few], d_test[few], epochs=steps, batch_size=5, lr=1e-3, beta=0.25,
                   progress=False, seed=SEED)
    samples = model.sample(y_show, seed=SEED).numpy()  # (500, 64)
    rows.append(dict(steps=steps, writer=neg_elbo(model, writer[held], d_test[held]),
                     ordinary=neg_elbo(model, D_test, d_test), slant=slant(samples).mean(),
                     slant_unseen=slant(samples[unseen]).mean(), read=(clf.predict(samples) == y_show).mean()))
print(f"{'steps':>5s} {'-ELBO writer (held out)':>24s} {'-ELBO ordinary':>15s} {'sample slant':>13s}"
      f" {'(unseen digits)':>16s} {'classifier reads':>17s}")
for r in rows:
    print(f"{r['steps']:5d} {r['writer']:24.1f} {r['ordinary']:15.1f} {r['slant']:+13.2f} {r['slant_unseen']:+16.2f}"
          f" {r['read']:17.2f}")
before, after = rows[0], rows[-1]  # 0 and 40 steps
assert after["writer"] < before["writer"] - 3, "fine-tuning should fit the writer's unseen digits better"
assert after["slant"] > before["slant"] + 0.1, "the samples should lean like the writer"
assert after["slant_unseen"] > before["slant_unseen"] + 0.1, "also for digits the writer never showed"
assert after["ordinary"] > before["ordinary"], "fitting one writer costs some of the ordinary digits' fit"
'''))
add(code(r'''
steps_axis = [r["steps"] for r in rows]
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), layout="constrained")
axes[0].plot(steps_axis, [r["writer"] for r in rows], "o-", label="the writer's 355 held-out digits")
axes[0].plot(steps_axis, [r["ordinary"] for r in rows], "s--", label="ordinary test digits")
axes[0].set(title="Fit: -ELBO per digit", xlabel="fine-tuning steps on 5 digits", ylabel="-ELBO (nats, lower is better)")
axes[0].legend(frameon=False)
axes[1].plot(steps_axis, [r["slant"] for r in rows], "o-", label="samples, all digits")
axes[1].plot(steps_axis, [r["slant_unseen"] for r in rows], "^:", label="samples, digits the writer never showed")
axes[1].axhline(slant(writer).mean(), color="grey", ls="--", lw=1, label="the writer")
axes[1].set(title="Style: mean slant of samples", xlabel="fine-tuning steps on 5 digits", ylabel="slant (pixels per row)")
axes[1].legend(frameon=False, fontsize=8)
axes[2].plot(steps_axis, [r["read"] for r in rows], "o-")
axes[2].set(title="Content: classifier reads the digit", xlabel="fine-tuning steps on 5 digits",
            ylabel="share of 500 samples", ylim=(0, 1.02))
plt.show()

first_of_each = [int(held[d_test[held] == k][0]) for k in range(10)]  # one held-out digit 0..9 of the writer
grid = np.concatenate([writer[first_of_each], tuned[0].sample(np.arange(10), seed=SEED).numpy(),
                       tuned[40].sample(np.arange(10), seed=SEED).numpy()])  # (30, 64)
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
cu.plotting.sample_grid(grid, n_cols=10, ax=ax, vmin=0, vmax=1,
                        title="The writer's digits, and samples (same z) before and after fine-tuning")
ax.set_yticks(np.arange(3) * 9 + 3.5, ["the writer (held out)", "base model", "after 40 steps"])
ax.set_xticks(np.arange(10) * 9 + 3.5, [str(k) for k in range(10)])
ax.set_xlabel("digit")
fig.colorbar(ax.images[0], ax=ax, label="pixel intensity", shrink=0.8)
plt.show()
'''))
add(md(r'''
The grid shows the writer's style (top row), the base model's samples and the samples of the same codes $z$
after 40 steps. Fine-tuning on five digits makes the model fit the writer's **other** digits better with every step (after 40
steps by more than 3 nats, asserted; the table prints each budget), and its samples lean more and more the
writer's way (asserted at 40 steps: by more than 0.1 pixels per row), even for the digits that were not among
the five (asserted): what it learns is the writer's slant, not five pictures. The price shows in the other
columns: the ordinary digits fit worse the longer we fine-tune (asserted at 40 steps), and the classifier's
reading of the samples falls (printed). How fast each column moves varies with the seed, because the five
digits differ; in our runs the first 10 steps bought much of the gain in fit at little cost.

That trade-off is the core problem of personalisation, and the standard remedies all limit how far the
model may move: fewer steps or a smaller learning rate (early stopping on a few held-out examples of the
user); training only a small add-on while the base stays frozen (LoRA, Hu et al. 2022, low-rank updates of the
weight matrices); or mixing in examples of the general data during fine-tuning, which is DreamBooth's
"prior preservation" loss.
'''))

# ---------------------------------------------------------------- section 6: hybrids and applications
add(md(r'''
## 6. Hybrid models and applications

**Hybrid models** combine a generative and a discriminative part, each doing what it is good at. This
notebook used several without naming them:

- the digits **classifier** that judged the prompt samples (section 4) and the personalised samples (section 5)
  is a discriminative model that measures a generative one; so is the inception score of notebook 11;
- **classifier guidance** (Dhariwal & Nichol 2021) goes one step further and *steers* a diffusion sampler with
  the gradient of a classifier, $\nabla_x \log p(y \mid x_t)$, added to the denoiser's score; classifier-free
  guidance gets the same effect from one conditional denoiser;
- a **GAN** is a generator trained *through* a discriminator (notebook 09), and the VAE-GAN of notebook 13 adds
  a discriminator to a VAE to sharpen it;
- **semi-supervised learning** with a generative model (Kingma et al. 2014, the M2 model) uses unlabelled
  data to improve a classifier: the label is a latent variable of a conditional VAE like ours.

### Where this is going, tied to what we measured

| application | what it needs | what this notebook measured |
|---|---|---|
| **Healthcare**: synthetic patient records and images to share data without sharing patients | fidelity *and* privacy: samples close to the data's distribution but not copies of any patient | fidelity and diversity with precision and recall (section 1); the memorisation test of notebook 15 is the privacy side |
| **Entertainment**: game levels, characters, music, in real time | speed: a sample within a frame | samples per second, DDIM against DDPM (section 3) |
| **Art and design**: images from a description, in a client's style | control from a prompt, and personalisation | prompt adherence (section 4), adapting to one writer in 5 examples (section 5) |
| **Finance**: simulated market scenarios for stress tests | the tails and the modes of the distribution, not just the average | energy distance and recall: a model that misses a mode (a crash regime) scores badly on both (notebook 11) |
| **On-device generation**: phones, cars, offline assistants | small and fast models | file size, speed and quality after quantisation and pruning (section 2) |

Each row has its own risks (a synthetic record that leaks a real patient; a fake news photo; a market model
that has never seen a crash). Notebook 15 turns to them.
'''))
add(md(r'''
## Summary

- A **diffusion model** learns to undo a fixed noising process: the forward process has the closed form
  $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon$, the network learns to predict $\varepsilon$
  with a plain regression loss, and sampling walks back from pure noise. The schedule must end near
  $\bar\alpha_T = 0$: Ho et al.'s range with only 50 steps leaves $\bar\alpha_T = 0.60$; scale $\beta$ by $1000/T$.
- On two moons, with seconds of training, diffusion lands within a few times a BIC-chosen mixture's and a
  RealNVP flow's energy distance (printed; closer than the mixture in the full run, several times the mixture's in FAST runs), and far ahead of a single Gaussian (asserted); the ranking among
  the three depends on the seed and the budget. Its advantages (any network, stable training, all modes)
  matter in high dimension.
- **Quantisation** to int8 cut the file to well under half with no visible loss of quality; it did not reliably speed up
  a 64-wide network on a CPU. **Pruning** without retraining shrank neither file nor time, and at 90 % destroyed
  the samples.
- **Real-time**: a benchmark needs a warm-up and repeats (and a GPU synchronisation). DDIM with 10 steps is
  several times (ideally ten times) faster than DDPM with 100, at a cost in quality; mixtures and flows are faster still.
- **Multimodal** generation in miniature: words measured from the images became conditions, and the generated
  digits obey all three words of a prompt (measured by a classifier and by the same ink and slant rules).
- **Personalisation** from five examples learns a writer's slant, even for digits the writer never showed,
  and forgets some of the general model: the trade-off that LoRA and prior preservation address.

## Check your understanding

1. With $T = 1000$ and $\beta_t$ from $10^{-4}$ to $0.02$, estimate $\log \bar\alpha_T$ using $\log(1-\beta) \approx -\beta$.
   Why does the same range fail at $T = 50$, and what does scaling it by $1000/T$ keep constant?
2. The diffusion loss stops falling well above zero. Why can it not reach zero, even for a perfect network?
3. A pruned model has 90 % zero weights but its file is as large and its sampling as slow as before. Why,
   and what would you change to make pruning pay off?
4. Your benchmark reports a GPU throughput 100 times the CPU's for a tiny network, but only when you forget
   `torch.cuda.synchronize()`. What did it measure?
5. In section 4 the "thick" share of the samples is close to 1 and the "thin" share close to 0. Why is this
   not yet evidence that the model would understand "a bold seven"?
6. The personalised model fits the writer's held-out digits better but the ordinary digits worse. Name two
   ways to keep most of the gain and less of the loss, and how you would check that they worked.
'''))
add(answer(r'''
**Your answers** (the instructor version holds model answers here)
### BEGIN SOLUTION
1. $\log\bar\alpha_T \approx -\sum_t \beta_t \approx -T\,\frac{\beta_1+\beta_T}{2} = -1000 \times 0.01005 \approx -10$,
   so $\bar\alpha_T \approx 4\times10^{-5}$: pure noise. At $T = 50$ the sum is only $50 \times 0.01005 \approx 0.5$,
   $\bar\alpha_T \approx e^{-0.5} = 0.60$: 60 % of the signal's variance is left and $x_T$ is not
   $\mathcal N(0, I)$, so sampling starts from a distribution the model never saw at step $T$. Scaling every
   $\beta_t$ by $1000/T$ keeps $\sum_t \beta_t$ the same, hence $\log\bar\alpha_T \approx -\sum_t\beta_t$ roughly the same:
   $\bar\alpha_T$ is tiny either way ($7.7\times10^{-6}$ at $T = 50$, since $\log(1-\beta) < -\beta$ for the larger $\beta_t$).
2. At a large step $x_t$ is almost all noise, and the data point behind it could have been anywhere: the best
   possible prediction of $\varepsilon$ is its conditional mean $\mathbb E[\varepsilon \mid x_t]$, and the loss
   that remains is the conditional variance of $\varepsilon$ given $x_t$, which is positive. (At small $t$
   the noise is tiny relative to the data's spread and almost perfectly predictable.)
3. A zero stored in a dense float32 tensor costs 4 bytes like any other number, and a dense matrix product
   multiplies by zeros as fast as by anything else. Store the weights sparsely (indices and values, or
   compress the file), or use structured pruning (remove whole neurons, so the matrices get smaller), or
   hardware that skips zeros (2:4 sparsity on recent GPUs); and fine-tune after pruning to recover quality.
4. The time to *launch* the GPU kernels, not to run them: CUDA calls return before the work is done, so the
   clock stopped early. Synchronise before starting and after each call (and warm up first).
5. "Thick" was measured by the same rule that wrote the captions, on combinations the model saw during
   training; the model learned a lookup table of 40 conditions. "Bold" is not in its vocabulary at all, and
   it has no way to relate a new word or an unseen combination to known ones; a text encoder trained on
   many captions (CLIP, T5) gives such generalisation.
6. Fewer steps or a smaller learning rate with early stopping on a few held-out examples of the writer;
   fine-tune only a small add-on (LoRA) or only the decoder; mix general training digits into every
   fine-tuning batch (prior preservation). Check with the same three measures: the writer's held-out
   $-$ELBO should still fall, while the ordinary digits' $-$ELBO and the classifier's reading of the
   samples should stay close to the base model's.
### END SOLUTION
''', "14-answers", points=0))

write(f"/work/main/notebooks/{FILE}", cells)
print(f"wrote notebooks/{FILE} with {len(cells)} cells")
