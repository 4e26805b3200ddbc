"""Build notebooks/15-ethics-and-generative-models.ipynb (every cell's source lives here)."""

import sys

sys.path.insert(0, "/work/main")

from course_utils._authoring import answer, check, code, header, md, solution, write  # noqa: E402
from course_utils.workbook import PARAMETERS, SETUP_COLAB  # noqa: E402

NAME = "15-ethics-and-generative-models.ipynb"
cells = []
add = cells.append

add(header("15", "Ethics and Generative Models", NAME))

add(md(r"""
## Learning objectives

By the end of this notebook you will be able to:

- name the main ways generative models are misused (deepfakes and misinformation, fraud with synthetic
  documents and voices) and what they do to trust, and how skewed training data becomes skewed output;
- train a detector that tells generated digits from real ones, and measure how badly it transfers to a
  generator it has not seen: the deepfake arms race in miniature;
- audit the class balance of a generator trained on imbalanced data, with a confidence interval, and say
  whether the model keeps, shrinks or amplifies the imbalance;
- run a membership-inference attack on a generator's samples and read its AUC as a measure of memorisation;
- write a model card (Mitchell et al., 2019) from measured numbers, including its limitations, and connect the
  measurements to audits, mitigation, user education and policy.

*Time: about 60 minutes (15 reading, 25 running and reading the three experiments, 20 for the four exercises).*
"""))

add(code(SETUP_COLAB))

add(code(r"""
import os

import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KernelDensity

import course_utils as cu
"""))

add(code(PARAMETERS, tags=["parameters"]))

add(code(r"""
cu.seed_everything(SEED)
device = cu.get_device(DEVICE)
print(f"FAST={FAST}, SEED={SEED}, device={device}")
"""))

add(code(r"""
# Budget: FAST trains each VAE for fewer epochs and repeats the bias experiment on fewer seeds.
VAE_EPOCHS = 30 if FAST else 100  # passes of the VAE over the 1,437 training digits (section 2)
BIAS_EPOCHS = 60 if FAST else 150  # passes of each VAE over the ~200 imbalanced digits (section 4)
BIAS_SEEDS = 3 if FAST else 5  # independent imbalanced data sets and trainings per model (section 4)
N_AUDIT = 2000  # samples per generator that the classifier audits
N_ATTACK = 10_000  # samples the membership-inference attacker gets (section 5)
if device.type == "cpu":
    torch.set_num_threads(1)  # tiny networks: one thread is as fast as several, and kind to shared machines
print(f"VAE_EPOCHS={VAE_EPOCHS}, BIAS_EPOCHS={BIAS_EPOCHS}, BIAS_SEEDS={BIAS_SEEDS}")
"""))

# ---------------------------------------------------------------------------------------------- 1
add(md(r"""
## 1. What can go wrong

The models of this workbook generate 8×8 digits. The same ideas, scaled up, generate faces, voices,
documents and text that people cannot tell from real ones, and that is where the harms are.

- **Deepfakes and misinformation.** A face swapped into a video, or a public figure made to say what they never
  said. In March 2022 a fabricated video of the Ukrainian president Volodymyr Zelensky telling his soldiers to
  surrender was put on a hacked news site; it was crude and quickly debunked, but it showed the playbook.
- **Fraud with synthetic voices and documents.** In 2019 the head of a UK energy firm transferred €220,000 after a
  phone call in which a cloned voice imitated his parent company's chief executive (reported by the *Wall Street
  Journal*). Generated ID cards, invoices and receipts defeat checks that look only at an image.
- **Erosion of trust.** Once fakes are cheap, real evidence can be dismissed as fake too: Chesney & Citron (*California
  Law Review*, 2019) call this the **liar's dividend**. The damage is to everyone's ability to believe what they see.
- **Representation and bias.** A model learns the world its data shows. Buolamwini & Gebru's *Gender Shades*
  (FAT* 2018) found commercial gender classifiers wrong on up to 34.7% of darker-skinned women and at most 0.8% of
  lighter-skinned men; Bianchi et al. (FAccT 2023) found text-to-image models turning neutral prompts into
  demographic stereotypes, sometimes more extreme than the statistics of the real world, and defaulting to
  Western, largely American, depictions when a prompt names no country: cultures the data show less are
  represented less, or as a caricature.

Pointers for deepfakes, to read rather than download: the **FaceForensics++** benchmark (Rössler et al., ICCV 2019:
about a thousand YouTube videos manipulated by four face-swap and re-enactment methods) and Facebook's (now Meta's)
**Deepfake Detection Challenge** (Dolhansky et al., 2020), whose winning detector reached about 65% accuracy on the unseen videos of its
black-box test set: detectors that shine on the fakes they were trained on do much worse on others.

This notebook measures three of these problems on digits, where everything runs in seconds:

| harm | what we measure | section |
|---|---|---|
| fakes pass as real | a real-vs-generated detector, and how it transfers to other generators | 3 |
| skewed data, skewed output | the class balance of samples from models trained on 90/10 data | 4 |
| private training data leaks | a membership-inference attack on the samples | 5 |

and then turns the measurements into a **model card** (section 6) and into practice (section 7).
"""))

# ---------------------------------------------------------------------------------------------- 2
add(md(r"""
## 2. Four generators of handwritten digits

We use scikit-learn's 1,797 digits as intensities in $[0, 1]$ (grey levels divided by 16, what the workbook's digits
classifier reads), 1,437 for training and 360 held out, and fit four generators on the training digits:

- **GMM**: ten full-covariance Gaussians on the first 30 principal components (notebooks 06 and 11), mapped back
  to pixels;
- **KDE**: a kernel density estimate $\hat p(x) = \frac1n \sum_i \mathcal N(x; x_i, h^2 I)$ on the pixels, a Gaussian
  bump on every training digit. Its bandwidth $h$ is the one with the best likelihood on a validation quarter of
  the training digits, the textbook way to choose it. Sampling it means: pick a training digit, add
  $\mathcal N(0, h^2 I)$ noise;
- **VAE**: the variational autoencoder of notebook 08 (8-D latent, one hidden layer of 256), samples are
  decoder means;
- **copier**: the same KDE with a tiny bandwidth $h = 0.01$, a model that returns its training digits. No one
  would ship it on purpose; it stands for a large model that has memorised its data.

Every sample is clipped to $[0, 1]$ and rounded to the 17 grey levels $k/16$ that real digits come in, so that
no detector below can win by noticing the file format instead of the images. (The copier's noise is then
rounded away: its samples are training digits, apart from a rare pixel one grey level off.)

One caveat on the auditor: the digits classifier was trained on a split of its own (notebook 11's, not
stratified), so most of our held-out digits were in *its* training set (the share is printed below). It reads
those real digits better than it would read new ones; that matters little here, because what it audits is the
generators' samples, which it never saw. (It also reads the skewed training data of section 4, most of
which it was trained on: there it is reading familiar digits, which is why it reads them almost perfectly.)
"""))

add(code(r"""
digits = cu.datasets.load_digits()
X, y = digits.X / 16, digits.y  # (1797, 64) intensities in [0, 1], (1797,) labels
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
clf = cu.metrics.DigitsClassifier.load()  # the workbook's digits CNN (notebook 11): the auditor of sections 4 and 6
clf_train = train_test_split(np.arange(len(X)), test_size=0.2, random_state=0)[0]  # the classifier's own split
_, test_index = train_test_split(np.arange(len(X)), test_size=0.2, random_state=0, stratify=y)
seen_by_clf = np.isin(test_index, clf_train).mean()
print(f"{seen_by_clf:.1%} of our {len(test_index)} held-out digits were in the classifier's training set")
rng = np.random.default_rng(SEED)  # every sample drawn below comes from this generator

PCA_DIM = 30
pca = PCA(n_components=PCA_DIM).fit(X_train)
gmm = cu.mixtures.fit_gmm(pca.transform(X_train), 10, reg_covar=1e-3, tol=1e-4, max_iter=300, rng=SEED).params

fit_part, val_part = train_test_split(X_train, test_size=0.25, random_state=SEED)  # only to choose h
BANDWIDTHS = [0.05, 0.07, 0.1, 0.15, 0.2, 0.3]
val_ll = {h: KernelDensity(bandwidth=h).fit(fit_part).score_samples(val_part).mean() for h in BANDWIDTHS}
h_best = max(val_ll, key=val_ll.get)
kde = KernelDensity(bandwidth=h_best).fit(X_train)
copier = KernelDensity(bandwidth=0.01).fit(X_train)

VAE_HIDDEN, VAE_LATENT, VAE_LR = 256, 8, 2e-3  # the VAE of this notebook (also in sections 4 and 6)
torch.manual_seed(SEED)  # the VAE's initial weights
vae = cu.vae.VAE(64, latent_dim=VAE_LATENT, hidden_dims=(VAE_HIDDEN,))
vae_history = cu.vae.train_vae(vae, X_train.astype(np.float32), epochs=VAE_EPOCHS, lr=VAE_LR,
                               validation=X_test.astype(np.float32), device=device, progress=True, seed=SEED)


def to_grid(images):
    # Clip to [0, 1] and round to the 17 grey levels k/16 that real digits come in: (n, 64) -> (n, 64).
    return np.round(np.clip(images, 0, 1) * 16) / 16


def draw(name, n, rng):
    # n samples (n, 64) on the grey-level grid, of one of the four generators, all randomness from rng
    if name == "GMM":
        Z, _ = cu.mixtures.sample_gmm(gmm, n, rng=rng)  # (n, 30) PCA coordinates
        return to_grid(pca.inverse_transform(Z))
    if name in ("KDE", "copier"):
        model = kde if name == "KDE" else copier
        return to_grid(model.sample(n, random_state=int(rng.integers(2**31))))
    return to_grid(vae.sample(n, seed=int(rng.integers(2**31))).cpu().numpy())  # VAE decoder means


GENERATORS = ["GMM", "KDE", "VAE", "copier"]
print("validation log-likelihood of the KDE per digit (nats):",
      ", ".join(f"h = {h:g}: {v:.1f}" for h, v in val_ll.items()))
print(f"chosen bandwidth h = {h_best:g}; VAE test -ELBO {vae_history.val_loss[-1]:.1f} nats per digit "
      f"after {VAE_EPOCHS} epochs")
assert BANDWIDTHS[0] < h_best < BANDWIDTHS[-1], "the best bandwidth should lie inside the grid"
"""))

add(code(r"""
shown = [X_test[:10]] + [draw(g, 10, rng) for g in GENERATORS]  # five rows of ten digits
fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
cu.plotting.sample_grid(np.vstack(shown), n_cols=10, ax=ax, vmin=0, vmax=1, title="Real digits and four generators")
ax.set_yticks(np.arange(5) * 9 + 3.5, ["real (test)"] + GENERATORS)
ax.set_xticks([])
fig.colorbar(ax.images[0], ax=ax, label="pixel intensity (grey level / 16)", shrink=0.8)
plt.show()
"""))

add(md(r"""
The rows already hint at what a detector can use: the GMM's digits are smooth but speckled where the 30
principal components cannot follow a stroke, the KDE's carry visible pixel noise, the VAE's are blurred, and
the copier's look exactly like real digits, because they are real digits.
"""))

# ---------------------------------------------------------------------------------------------- 3
add(md(r"""
## 3. Detection: telling generated from real

A **detector** is a classifier $D(x) \approx P(\text{generated} \mid x)$ trained on real and generated examples,
the discriminator of a GAN (notebook 09) used for defence. Ours is a gradient-boosted ensemble of decision trees
on the 64 pixels (scikit-learn's `HistGradientBoostingClassifier`, 200 rounds): each tree asks questions like
"is pixel 27 darker than 9/16?", and their votes add up to the log-odds $\log\frac{D(x)}{1 - D(x)}$. It is trained
on the 1,437 real training digits against 1,437 samples of one generator, and flags an image as generated when
$D(x) > 1/2$. We score it on images it never saw, the 360 real test digits and
360 fresh samples of *every* generator, with two numbers:

- the **false-alarm rate**: the share of real test digits flagged as generated (lower is better);
- the **detection rate** for each generator: the share of its samples flagged (higher is better).

A detector that flags everything detects all fakes and raises an alarm on every real image; both numbers are needed.
A fourth detector is trained on the three generators' samples together (a third of each). The copier is never used for
training: it is the attacker's model, unknown to the defender.
"""))

add(code(r"""
n_tr, n_te = len(X_train), len(X_test)
fake_train = {g: draw(g, n_tr, rng) for g in GENERATORS[:3]}  # (1437, 64) each
fake_test = {g: draw(g, n_te, rng) for g in GENERATORS}  # (360, 64) each, fresh samples
pooled = np.vstack([f[rng.permutation(n_tr)[: n_tr // 3]] for f in fake_train.values()])  # a third of each
trained_on = {**{g: fake_train[g] for g in GENERATORS[:3]}, "all three": pooled}

detectors, table = {}, []
for name, fakes in trained_on.items():
    data, labels = np.vstack([X_train, fakes]), np.r_[np.zeros(n_tr), np.ones(len(fakes))]  # 1 = generated
    detectors[name] = HistGradientBoostingClassifier(max_iter=200, random_state=SEED).fit(data, labels)
    flagged = [detectors[name].predict(X_test).mean()] + [detectors[name].predict(fake_test[g]).mean()
                                                           for g in GENERATORS]
    table.append(flagged)
table = np.array(table)  # (4 detectors, 5): false alarms, then detection rate per generator
columns = ["real test\n(false alarms)"] + GENERATORS

fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
cu.plotting.heatmap(table, ax=ax, row_labels=[f"trained on {n}" for n in trained_on], col_labels=columns,
                    vmin=0, vmax=1, cmap="Reds", colorbar_label="share flagged as generated", title="Share of held-out images flagged as generated",
                    xlabel="images scored (360 of each)", ylabel="detector")
plt.show()
own = np.array([table[i, 1 + i] for i in range(3)])  # each detector on its own generator
for name, row in zip(trained_on, table):
    print(f"trained on {name:9s}: false alarms {row[0]:.2f}; flags " + ", ".join(f"{g} {v:.2f}" for g, v in zip(GENERATORS, row[1:])))
print("each detector on its own generator: detection", np.round(own, 2), "false alarms", np.round(table[:3, 0], 2))
print(f"the copier's samples flagged: {np.round(table[:, 4], 2)} (by the four detectors)")
assert (own > 0.85).all() and (table[:, 0] < 0.1).all(), "each detector should catch its own generator, rarely real digits"
assert max(table[1, 1], table[1, 3], table[2, 1], table[2, 2]) < 0.5, \
    "the KDE's and the VAE's detectors should miss most samples of the other generators"
assert (table[3, 1:4] > 0.85).all(), "the detector trained on all three should catch all three"
assert table[:, 4].max() < 0.1, "copies of real digits should pass every detector"
"""))

add(md(r"""
Read the table row by row.

- **On its own generator every detector is excellent**: it flags more than 85% of new samples (asserted; 94–100% in
  our runs) and fewer than 10% of real test digits (asserted; at most 2% in our runs). Each generator leaves a
  fingerprint: the KDE's pixel noise, the VAE's blur, the GMM's speckle.
- **Transfer is poor and lopsided.** The detectors trained on the KDE and on the VAE miss most samples of the other
  generators (every such share below 50%, asserted; below 30% in our runs, often far below): a detector of noise knows nothing of blur.
  The GMM's detector happened to transfer better in our runs (printed), a reminder that transfer depends on
  which fingerprints two generators happen to share, and nobody can list the fingerprints of a generator that has
  not been built yet.
- **The defender's move** is to train on every generator it can get: the pooled detector catches all three (above 85%,
  asserted). The attacker's move is a new generator, or one trained *against* the detector: a GAN's generator is
  exactly that, with the detector as its discriminator (notebook 09). That is the arms race, and the reason the
  Deepfake Detection Challenge's winner, trained on more than 100,000 clips, reached only about 65% on unseen ones.
- **The copier passes every detector** (below 10%, asserted; 0–1% in our runs), because its samples *are* real
  digits. A detector answers "does this look generated?", not "is this true?" or "whose data is this?". The
  copier's harm is the one of section 5.
"""))

# ---------------------------------------------------------------------------------------------- 4
add(md(r"""
## 4. Bias amplification: imbalanced data in, what out?

A generator learns $p_{\text{data}}$, including whatever is over- or under-represented in it. The question is what it
does with a minority: does it reproduce its share (**keep** the imbalance), make it rarer (**amplify** the
imbalance), or make it commoner (**shrink** it)? We build a deliberately skewed data set: every **1** of the digits
data (182 images) and 20 random **7**s of the 179, so that sevens are about 10% of the 202 digits (90/10), and train five models on it:

- a single Gaussian ($K = 1$) and a GMM with $K = 4$, on the first 20 principal components;
- the KDE, with the bandwidth chosen in section 2;
- the VAE of section 2's architecture;
- the same VAE trained on **re-balanced** data, where every 7 appears nine times (oversampling, the simplest
  mitigation).

Then we **audit** each model: draw 2,000 samples, let the workbook's digits classifier label each one by its most
probable class, and count the 7s. The classifier makes mistakes too, so we audit the training data itself the same
way; that is the share to compare with. Every repetition draws new 7s and retrains every model.

**The interval.** A share $\hat p = k/n$ of $n$ independent samples has standard error $\sqrt{\hat p(1-\hat p)/n}$, and
$\hat p \pm 1.96\sqrt{\hat p(1-\hat p)/n}$ is the usual (Wald) 95% interval for the true share of the model. It
describes one trained model's sampling noise only; a retrained model differs by more, which is why we repeat the
whole experiment and also report the spread across repetitions. (For shares near 0 or 1 with few samples, the
Wilson interval is better behaved; with 2,000 samples and shares of a few percent the two differ little.)
"""))

add(md(r"""
### Exercise 1 — audit a generator's class balance (2 points)

Write `my_class_share(probs, digit)`. `probs` is an array of shape `(n, C)`: the classifier's class probabilities
for $n$ samples (each row sums to 1). Label each sample with its **most probable** class (on a tie, the first, as `argmax` does), and return a tuple of three
floats `(share, low, high)`: the share of samples labelled `digit`, and the 95% Wald interval
$\hat p \pm 1.96\sqrt{\hat p(1-\hat p)/n}$ around it, **clipped** to $[0, 1]$. NumPy, torch or plain loops are all fine.
"""))

add(solution(r"""
def my_class_share(probs, digit):
    # (n, C) class probabilities, a class -> (share labelled digit, low, high) of a 95% interval
    ### BEGIN SOLUTION
    labels = np.asarray(probs).argmax(axis=1)  # (n,) the most probable class of each sample
    n = len(labels)
    share = float(np.mean(labels == digit))
    half = 1.96 * np.sqrt(share * (1 - share) / n)
    return share, max(0.0, share - half), min(1.0, share + half)
    ### END SOLUTION
""", "15-ex1-class-share"))

add(check(r"""
my_class_share = cu.exercises.check(
    cu.exercises.forbid_calls(my_class_share, ["reference_class_share"], rule="count the labels yourself"),
    cu.exercises.reference_class_share, name="my_class_share",
    cases=cu.exercises.class_share_cases(), compare_fn=cu.exercises.compare_class_share,
    hint=("an audit counts decisions: each sample gets one label, its most probable class, and the share is "
          "the fraction of samples whose label is the digit asked for (not an average of probabilities). The "
          "standard error of a share uses the number of samples itself; 95% means 1.96 standard errors either "
          "side, and a share can never leave [0, 1]."))
### BEGIN HIDDEN TESTS
assert my_class_share(np.eye(3)[[0, 0, 1, 2]], 0)[0] == 0.5
### END HIDDEN TESTS
""", "15-ex1-class-share-check", points=2))

add(code(r"""
MAJOR, MINOR = 1, 7
ones, sevens = X[y == MAJOR], X[y == MINOR]  # (182, 64), (179, 64)
n_minor = round(len(ones) / 9)  # 20 sevens: a 90/10 split
BIAS_MODELS = ["Gaussian (K=1)", "GMM (K=4)", "KDE", "VAE", "VAE, 7s oversampled"]


def fit_and_sample(name, data, labels, seed, n):
    # Train one model of the bias experiment on (data, labels) and return n samples (n, 64) in [0, 1].
    r = np.random.default_rng(seed)
    if name.startswith(("Gaussian", "GMM")):
        p = PCA(n_components=20).fit(data)
        params = cu.mixtures.fit_gmm(p.transform(data), 1 if name.startswith("Gaussian") else 4, reg_covar=1e-2,
                                     tol=1e-4, max_iter=200, rng=seed).params
        return to_grid(p.inverse_transform(cu.mixtures.sample_gmm(params, n, rng=r)[0]))
    if name == "KDE":
        return to_grid(KernelDensity(bandwidth=h_best).fit(data).sample(n, random_state=seed))
    if name.endswith("oversampled"):
        data = np.vstack([data] + [data[labels == MINOR]] * 8)  # every 7 nine times in all
    torch.manual_seed(seed)
    model = cu.vae.VAE(64, latent_dim=VAE_LATENT, hidden_dims=(VAE_HIDDEN,))
    cu.vae.train_vae(model, data.astype(np.float32), epochs=BIAS_EPOCHS, lr=VAE_LR, device=device, progress=False,
                     seed=seed)
    return to_grid(model.sample(n, seed=seed).cpu().numpy())


runs = {name: [] for name in ["training data"] + BIAS_MODELS}  # (share, low, high) of 7s per repetition
neither = {name: [] for name in BIAS_MODELS}  # share of samples read as neither 1 nor 7
for rep in cu.runtime.progress(range(BIAS_SEEDS), desc="repetitions"):
    seed = 1000 * SEED + rep
    r = np.random.default_rng(seed)
    data = np.vstack([ones, sevens[r.choice(len(sevens), n_minor, replace=False)]])  # (202, 64)
    labels = np.r_[np.full(len(ones), MAJOR), np.full(n_minor, MINOR)]
    runs["training data"].append(my_class_share(clf.predict_proba(data), MINOR))
    for name in BIAS_MODELS:
        probs = clf.predict_proba(fit_and_sample(name, data, labels, seed, N_AUDIT))  # (2000, 10)
        runs[name].append(my_class_share(probs, MINOR))
        neither[name].append(float(np.isin(probs.argmax(1), [MAJOR, MINOR], invert=True).mean()))

t_q = stats.t.ppf(0.975, BIAS_SEEDS - 1)  # the 95% quantile of Student's t for the mean over repetitions
summary = {}
print(f"share of samples read as 7, over {BIAS_SEEDS} repetitions (true share in the data {n_minor / (len(ones) + n_minor):.3f})")
# With no spread beyond sampling noise, s.d. over repetitions / s.e. of one model's share stays below this 95% of
# the time (the s.d. of R values scatters like sqrt(chi2 with R - 1 degrees of freedom / (R - 1))).
limit = np.sqrt(stats.chi2.ppf(0.95, BIAS_SEEDS - 1) / (BIAS_SEEDS - 1))
print(f"{'':22s} {'mean':>6s}  {'95% interval (reps)':>20s}  {'min':>6s} {'max':>6s}  {'Wald half-width':>15s}"
      f"  {'s.d. / s.e.':>11s}  {'extra spread':>12s}  read as neither")
spread_ratio, halves = {}, {}  # s.d. over repetitions / mean s.e. of one model's share; interval half-widths
for name, values in runs.items():
    shares = np.array([v[0] for v in values])
    half = halves[name] = t_q * shares.std(ddof=1) / np.sqrt(len(shares))
    summary[name] = shares.mean()
    wald = np.mean([(v[2] - v[1]) / 2 for v in values])
    se = np.mean([np.sqrt(v[0] * (1 - v[0]) / N_AUDIT) for v in values])
    trained = name != "training data"  # the data's share is fixed by construction: no ratio
    spread_ratio[name] = shares.std(ddof=1) / se if trained and se > 0 else np.nan
    ratio = f"{spread_ratio[name]:11.1f}  {'yes' if spread_ratio[name] > limit else 'no':>12s}" if trained else " " * 25
    other = f"{np.mean(neither[name]):.3f}" if name in neither else ""
    print(f"{name:22s} {shares.mean():6.3f}  [{max(0.0, shares.mean() - half):6.3f}, {shares.mean() + half:6.3f}]      "
          f"{shares.min():6.3f} {shares.max():6.3f}  {wald:15.3f}  {ratio}  {other}")
print(f"extra spread: s.d. / s.e. above {limit:.2f}, which sampling noise alone exceeds 5% of the time with "
      f"{BIAS_SEEDS} repetitions")

in_data = summary["training data"]
per_rep = {name: np.array([v[0] for v in values]) for name, values in runs.items()}
assert abs(in_data - n_minor / (len(ones) + n_minor)) < 0.02, "the classifier should read the training data almost right"
assert abs(summary["KDE"] - in_data) < 0.03, "the KDE should keep the share of 7s"
for name in ("Gaussian (K=1)", "VAE"):
    assert per_rep[name].max() < 0.6 * in_data and summary[name] < 0.5 * in_data, \
        f"{name}: the share of 7s should fall well below the data's"
assert per_rep["VAE, 7s oversampled"].min() > 0.25, "oversampling the 7s should give the VAE back many 7s"

fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
for i, name in enumerate(runs):
    ax.scatter(np.full(BIAS_SEEDS, i), np.maximum(per_rep[name], 1.1e-3), s=25, alpha=0.7, color="C0",
               label="one repetition" if i == 0 else None)
    ax.plot([i - 0.25, i + 0.25], [summary[name]] * 2, color="C3", lw=2, label="mean" if i == 0 else None)
    if i > 0:  # the 95% interval over repetitions (clipped at the axis' bottom), beside the points
        low = max(summary[name] - halves[name], 1.1e-3)
        ax.plot([i + 0.3] * 2, [low, summary[name] + halves[name]], color="C3", lw=1.5,
                label="95% interval over repetitions" if i == 1 else None)
ax.axhline(in_data, color="grey", ls="--", lw=1, label=f"training data, as read ({in_data:.3f})")
ax.axhline(0.5, color="grey", ls=":", lw=1, label="balanced (0.5)")
ax.set_xticks(range(len(runs)), [n.replace(", ", ",\n") for n in runs])
ax.set(yscale="log", ylim=(1e-3, 1), ylabel="share read as 7 (log; 0 at the bottom)",
       xlabel="the audited training data, and the models trained on it",
       title="Trained on 90% ones and 10% sevens: how many sevens come out?")
ax.legend(frameon=False, fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
plt.show()
"""))

add(md(r"""
Three behaviours, all measured on the same skewed data:

- **The KDE keeps the imbalance** (its mean share within 0.03 of the data's, asserted). That is built in: a KDE
  sample is a training digit plus noise, so it draws sevens exactly as often as the data holds them, and the
  classifier still reads them through the noise.
- **The single Gaussian and the VAE amplify it**: on average their share of sevens is below half the data's, and
  below 60% of it in every repetition (asserted); the VAE's was between 0.2% and about 4% in our runs (lower in FAST mode,
  with fewer epochs), against about 10% in the data. Both are smooth models that
  must spend capacity on every region they cover. The single Gaussian puts its mass between the two classes, and the
  classifier reads nearly a quarter of its samples as neither digit (printed). The VAE, whose ELBO is dominated by
  the 182 ones, learns to decode almost every latent code as a one; the few sevens are not worth a region of the
  latent space. Maximum likelihood rewards a model for the bulk of the data.
- **The four-component GMM sits in between**: its share was roughly 0.04–0.1 in our runs, close to the data's
  or somewhat below it, depending on whether a component happened to settle on the sevens. It varies with the
  repetition (see the points); we do not claim a direction.

**Mitigation.** Showing the VAE every seven nine times (oversampling, a form of re-weighting the likelihood) raises
its share of sevens from a few percent to about 40% (asserted above 25%; 38–47% in our runs). The re-balanced data hold about 50% sevens,
so even this VAE under-produces them, and the sevens it draws are variations of only 20 real ones: oversampling
cannot create diversity that the data do not have. The honest fixes are more data from the minority, a model
conditioned on the class (the conditional VAE of notebook 13 draws each class on demand), and an audit like this
one after every change.

The intervals in the table answer two different questions. The Wald half-width is the sampling noise of *one
trained model*'s 2,000 samples; the interval over repetitions, which uses Student's $t$ with one degree of freedom
fewer than there are repetitions, is about the *training recipe*: new 20 sevens, new seeds, a new model. The
last columns compare the two: the standard deviation of the shares over repetitions divided by the
standard error of one model's share, $\sqrt{\hat p(1-\hat p)/n}$. If retraining changed nothing, the ratio would
be about 1; because a standard deviation from three or five values is itself noisy, the table calls the
spread *extra* only above the printed limit, which sampling noise alone passes 5% of the time (1.73 with three
repetitions, 1.54 with five). Which models are flagged varies from run to run (in our runs usually the VAE and the GMM, the KDE,
which has nothing to train, never, and the others in some runs); a flagged model's Wald interval
understates how much its recipe varies. To compare training recipes, repeat the training; more samples of one
model do not help. (The
interval is clipped at 0, where a share cannot go.)
"""))

# ---------------------------------------------------------------------------------------------- 5
add(md(r"""
## 5. Memorisation and privacy: membership inference

If a model was trained on private records (patients' scans, people's faces, someone's handwriting), its samples
should not give those records away. A **membership-inference attack** asks a weaker question than "can I rebuild a
record?": given a candidate record, *was it in the training set?* The attacker here sees only samples. The
GAN-Leaks attack (Chen et al., CCS 2020) scores each candidate $x$ by how close the nearest sample comes,

$$
s(x) = -\min_{g \in S} \lVert x - g \rVert_2 ,
$$

higher meaning "probably a member", since a model that memorises puts samples on top of its training records. The
attack is summarised by the **ROC AUC** of the scores over members $M$ and non-members $N$,

$$
\mathrm{AUC} = P\big(s(X_m) > s(X_n)\big) + \tfrac12 P\big(s(X_m) = s(X_n)\big)
= \frac{1}{|M|\,|N|}\sum_{m \in M}\sum_{n \in N}\Big(\mathbb 1[s_m > s_n] + \tfrac12 \mathbb 1[s_m = s_n]\Big),
$$

the probability that a random member outscores a random non-member: 0.5 is a coin toss, 1 recognises every member.
It equals the Mann–Whitney statistic, $\big(\sum_{m} r_m - |M|(|M|+1)/2\big)/(|M|\,|N|)$ with $r_m$ the members'
ranks among all scores (ties get their average rank). `cu.metrics.membership_inference_auc` does both steps; the next
two exercises rebuild them.
"""))

add(md(r"""
### Exercise 2 — the attack's score (2 points)

Write `my_membership_scores(generated, candidates)`: `generated` is an array `(n, d)` of samples, `candidates` an
array `(m, d)`. Return an array `(m,)` holding, for each candidate, **minus** the Euclidean distance to its nearest
sample (not squared). Loops, broadcasting, `scipy.spatial.distance.cdist` or `torch.cdist` are fine; not allowed:
`cu.metrics.membership_inference_auc`, which the check compares with.
"""))

add(solution(r"""
def my_membership_scores(generated, candidates):
    # (n, d) samples, (m, d) candidates -> (m,) minus the distance to the nearest sample
    ### BEGIN SOLUTION
    from scipy.spatial.distance import cdist

    return -cdist(candidates, generated).min(axis=1)  # (m, n) distances -> (m,) minus the smallest
    ### END SOLUTION
""", "15-ex2-scores"))

add(check(r"""
my_membership_scores = cu.exercises.check(
    cu.exercises.forbid_calls(my_membership_scores, ["membership_inference_auc", "_distances"],
                              rule="compute the distances yourself"),
    cu.exercises.reference_membership_scores, name="my_membership_scores",
    cases=cu.exercises.membership_score_cases(), compare_fn=cu.exercises.compare_membership_scores,
    hint=("one number per candidate: its distance to every sample, then the smallest of those (not their "
          "mean). Members sit close to the samples, and the attack wants members to score high, so mind the sign."))
### BEGIN HIDDEN TESTS
assert np.allclose(my_membership_scores(np.zeros((1, 2)), np.array([[3.0, 4.0]])), [-5.0])
### END HIDDEN TESTS
""", "15-ex2-scores-check", points=2))

add(md(r"""
### Exercise 3 — the AUC by ranks or by pairs (2 points)

Write `my_auc(member_scores, non_member_scores)`: two 1-D arrays of scores (any lengths), higher meaning "member".
Return the AUC as one float, **counting ties as one half** (the formula above). Compare all pairs, or use ranks
(`scipy.stats.rankdata` gives average ranks); not allowed: `sklearn.metrics.roc_auc_score`,
`scipy.stats.mannwhitneyu` and `cu.metrics.membership_inference_auc`.
"""))

add(solution(r"""
def my_auc(member_scores, non_member_scores):
    # (n_m,), (n_n,) scores -> P(member > non-member) + P(tie) / 2
    ### BEGIN SOLUTION
    m = np.asarray(member_scores, dtype=float)[:, None]  # (n_m, 1)
    n = np.asarray(non_member_scores, dtype=float)[None, :]  # (1, n_n)
    return float(np.mean((m > n) + 0.5 * (m == n)))
    ### END SOLUTION
""", "15-ex3-auc"))

add(check(r"""
my_auc = cu.exercises.check(
    cu.exercises.forbid_calls(my_auc, ["roc_auc_score", "roc_auc", "mannwhitneyu", "membership_inference_auc"],
                              rule="count the pairs or use ranks"),
    cu.exercises.reference_auc, name="my_auc", cases=cu.exercises.auc_cases(), compare_fn=cu.exercises.compare_auc,
    hint=("over every (member, non-member) pair: a win for the member counts 1, a tie counts one half, a loss 0; "
          "the AUC is the average over all pairs. With ranks, tied scores must share their average rank."))
### BEGIN HIDDEN TESTS
assert abs(my_auc(np.array([1.0, 1.0]), np.array([1.0])) - 0.5) < 1e-12
### END HIDDEN TESTS
""", "15-ex3-auc-check", points=2))

add(md(r"""
Now the attack on our four generators. The members are 360 random training digits, the non-members the 360 test
digits no model saw; the attacker gets 10,000 samples of each generator. Your two functions reproduce the library's
AUC on the first 1,000 samples of every generator (asserted).
"""))

add(code(r"""
members = X_train[rng.choice(n_tr, n_te, replace=False)]  # (360, 64) digits every model was trained on


def auc_standard_error(auc, n_pos, n_neg):
    # Hanley & McNeil (1982): the standard error of an AUC estimated from n_pos and n_neg candidates
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    return np.sqrt((auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg))


attack, z_score = {}, {}
for g in GENERATORS:
    samples = draw(g, N_ATTACK, rng)  # (10000, 64)
    attack[g] = cu.metrics.membership_inference_auc(samples, members, X_test)
    few = samples[:1000]  # your functions on the first 1,000 samples (a slow loop would take long on all)
    mine = my_auc(my_membership_scores(few, members), my_membership_scores(few, X_test))
    assert abs(mine - cu.metrics.membership_inference_auc(few, members, X_test).auc) < 1e-9, \
        "your functions should reproduce the library's AUC"
    se = auc_standard_error(attack[g].auc, len(members), len(X_test))
    z_score[g] = (attack[g].auc - 0.5) / se if se > 0 else np.inf  # an AUC of exactly 1 has no spread left
    z_text = f"{z_score[g]:+.1f} s.e. from 0.5" if abs(z_score[g]) < 100 else "far beyond chance"
    print(f"{g:7s}: AUC {attack[g].auc:.3f} (s.e. {se:.3f}; {z_text})   median distance to "
          f"the nearest sample: members {np.median(-attack[g].member_scores):.2f}, "
          f"non-members {np.median(-attack[g].non_member_scores):.2f}")
assert attack["copier"].auc > 0.95 and attack["KDE"].auc > 0.9, "the copier and the KDE should give their members away"
assert abs(attack["GMM"].auc - 0.5) < 0.15 and abs(attack["VAE"].auc - 0.5) < 0.15, "GMM and VAE should leak little"

fig, axes = plt.subplots(1, 4, figsize=(14, 3.4), layout="constrained", sharey=True)
for ax, g in zip(axes, GENERATORS):
    bins = np.linspace(0, max(-attack[g].non_member_scores.min(), -attack[g].member_scores.min()), 30)
    ax.hist(-attack[g].member_scores, bins, alpha=0.6, label="members (training digits)")
    ax.hist(-attack[g].non_member_scores, bins, alpha=0.6, label="non-members (test digits)")
    ax.set(title=f"{g}: AUC {attack[g].auc:.2f}")
axes[0].set_ylabel("candidates")
axes[0].legend(frameon=False, fontsize="small")
fig.supxlabel("distance from a candidate to its nearest sample (pixel intensity units)")
plt.show()
"""))

add(md(r"""
The histograms show the attack's view. The **copier** puts a sample exactly on every member (distance 0) and
nowhere near the test digits, and the **KDE** puts one close to every member: its samples are training digits plus noise of norm about
$h\sqrt{64} = 8h$, less once clipping at 0 and rounding have removed some of it (the members' median distance
printed above is 0.4–0.6, the test digits' about 1.05). Both AUCs are near 1 (above 0.95 and 0.9, asserted; 0.999 or more in our runs). The
KDE's bandwidth was the one with the *best held-out likelihood*: a model can generalise well by that measure and
still hand out its training records with a little noise on top. Held-out likelihood is not a privacy test.

The **GMM** and the **VAE** leave much less trace: their AUCs are close to 0.5 (within 0.15, asserted). Is
what is left a leak or luck? With 360 candidates of each kind an AUC near 0.5 has a standard error of about
0.02 (Hanley & McNeil's formula, printed per model), so an AUC within about two standard errors of 0.5
(0.46 to 0.54) cannot be told from a coin. The printed distance from 0.5 in standard errors says, for this
run, whether each model's edge is distinguishable from chance; it varies with the run, because the members,
the samples and the trained models all do. Where it is several standard errors (it can be for the GMM), a
mixture of ten Gaussians with 465 covariance entries each, fitted to 1,437 digits, has learned a little about
the particular digits it saw; members then sit a few hundredths closer to their nearest sample than
non-members (medians printed). In our runs the GMM's edge was about 2 to 3.5 standard errors and the VAE's about 1.5 to 2.2: which of them
counts as "distinguishable from chance" depends on the run.

The attack works on *records*, not people: members and non-members were written by the same 13 writers, so it
tells whether this very image was trained on, not whether its writer was.

Three cautions. An AUC near 0.5 for *this* attack says nothing about stronger ones: attackers with the model's
likelihood, its latent codes or its weights can do better (Hilprecht et al., 2019; Chen et al., 2020), and an average
hides the few records that may be exposed, typically outliers, whose exposure matters most (Carlini et al., "Membership
inference attacks from first principles", 2022, argue for the true-positive rate at a low false-positive rate for
this reason). And the only guarantee is by construction: training with **differential privacy** (DP-SGD, Abadi et
al., 2016) with budget $(\varepsilon, \delta)$ bounds every attack's true-positive rate by
$e^{\varepsilon}\,\text{FPR} + \delta$.
"""))

# ---------------------------------------------------------------------------------------------- 6
add(md(r"""
## 6. Accountability and transparency: a model card

Who answers for what a model does? **Accountability** needs someone who knows what the model is for, what it was
tested on and where it fails, and **transparency** is writing that down where users and auditors can read it.
Mitchell et al. ("Model Cards for Model Reporting", FAT* 2019) proposed a short document that ships with every model,
with nine sections: *model details, intended use, factors, metrics, evaluation data, training data, quantitative
analyses, ethical considerations, caveats and recommendations.* Datasheets for datasets (Gebru et al., 2021) do
the same for the data.

Below is the card of this notebook's VAE. Every number in it is a variable computed above, so the card is
regenerated with the model and cannot drift from it. Two numbers are new: the class balance of the VAE's samples
when trained on the *balanced* digits, and how many of its samples the classifier reads with confidence.
"""))

add(code(r"""
vae_probs = clf.predict_proba(draw("VAE", N_AUDIT, rng))  # (2000, 10) the auditor's view of the VAE's samples
balance = np.array([my_class_share(vae_probs, d) for d in range(10)])  # (10, 3) share, low, high per digit
confident = float((vae_probs.max(1) > 0.9).mean())
real_confident = float((clf.predict_proba(X_test).max(1) > 0.9).mean())
rarest, commonest = int(balance[:, 0].argmin()), int(balance[:, 0].argmax())
i_vae = GENERATORS.index("VAE")
card = f'''
### Model card: VAE for 8x8 handwritten digits (Generative Models Workbook, notebook 15)

**Model details.** Variational autoencoder (Kingma & Welling, 2014): 64 pixels -> {VAE_HIDDEN} hidden units ->
{VAE_LATENT}-D Gaussian latent -> {VAE_HIDDEN} -> 64 Bernoulli pixel probabilities; trained {VAE_EPOCHS} epochs with
Adam (learning rate {VAE_LR:g}) on the ELBO, seed {SEED}. Samples are decoder means (grey images). Version: this notebook's run.

**Intended use.** Teaching: illustrating how generative models are trained, evaluated and audited. Not for
generating data for any decision about people, and not as a model of handwriting in general.

**Factors.** Digit class (0-9), the only labelled factor. Writers' style (slant, thickness) and the writers
themselves (13 people wrote scikit-learn's copy, the UCI test set) are not labelled, so they are not evaluated.

**Metrics.** Test -ELBO (nats per digit); class shares of samples read by the workbook's digits classifier, with 95%
Wald intervals; detection rate of a boosted-tree detector; membership-inference AUC (GAN-Leaks distance
attack); the minority share in samples after training on 90/10 data.

**Evaluation data.** The {n_te} held-out digits of scikit-learn's digits (stratified split, random_state 0).

**Training data.** {n_tr:,} digits of scikit-learn's copy of the test set of the UCI optical recognition of
handwritten digits data (CC BY 4.0; 13 writers), about {n_tr / 10:.0f} per class, grey levels 0-16 scaled to [0, 1].

**Quantitative analyses.**
- Test -ELBO: {vae_history.val_loss[-1]:.1f} nats per digit.
- Class balance of {N_AUDIT} samples (trained on balanced data): rarest class {rarest} at {balance[rarest, 0]:.3f}
  [{balance[rarest, 1]:.3f}, {balance[rarest, 2]:.3f}], commonest class {commonest} at {balance[commonest, 0]:.3f}
  [{balance[commonest, 1]:.3f}, {balance[commonest, 2]:.3f}] (balanced data: 0.100 each); {confident:.0%} of samples
  are read with probability > 0.9 (real test digits: {real_confident:.0%}).
- Detection: a boosted-tree detector trained on its samples flags {table[i_vae, 1 + i_vae]:.0%} of new ones, with
  {table[i_vae, 0]:.0%} false alarms on real digits. Detectors trained on other generators' samples flag between
  {min(table[j, 1 + i_vae] for j in range(3) if j != i_vae):.0%} and {max(table[j, 1 + i_vae] for j in range(3) if j != i_vae):.0%}
  of them (the worst case is the one to plan for).
- Membership inference: AUC {attack["VAE"].auc:.3f} (0.5 = no leak; {z_score["VAE"]:+.1f} standard errors from 0.5)
  with {N_ATTACK:,} samples, {len(members)} members and {len(X_test)} non-members.
- Bias: trained on 90/10 ones and sevens (all {len(ones)} ones of the digits data, training and test digits alike, and {n_minor} random sevens of the
  digits), {summary["VAE"]:.3f} of its samples are sevens on average over {BIAS_SEEDS}
  trainings (the data, read by the same classifier: {summary["training data"]:.3f}); with the sevens oversampled
  nine-fold, {summary["VAE, 7s oversampled"]:.3f}.

**Ethical considerations.** Handwriting can identify a person; these digits are anonymous and public. The
membership-inference AUC above is the leakage of its training set measured by one sample-only attack; stronger
attacks may find more.

**Caveats and recommendations.** The auditing classifier was trained on {seen_by_clf:.1%} of the held-out digits
(its own split), so its accuracy on them overstates its accuracy on new digits; it never saw the samples it
audits. See also the limitations written in exercise 4.
'''
display(Markdown(card))
"""))

add(md(r"""
### Exercise 4 — the card's limitations (2 points, graded by hand)

The card ends with "see the limitations". Write them: five to eight sentences for a reader who is thinking of using
this VAE, or one trained the same way, outside this notebook. Use the numbers of your run (sections 3–6). Say what the
model must not be used for and why; which of its measured properties would mislead a user (its class balance and
sample quality, its behaviour on imbalanced data); what was *not* evaluated (factors, data, attacks); and one
concrete recommendation each for a user and for whoever trains the next version.
"""))

add(answer(r"""
### BEGIN SOLUTION
**Rubric for the grader (2 points).** 1 point: a use the model must not have, with the reason, and at least two
measured properties that would mislead a user, each quoted with a number of the student's run (class balance or
confidence, the amplified imbalance, detectability). 1 point: at least two things that were not evaluated (factors,
data, stronger attacks) and one concrete recommendation for a user and one for the next developer. Half a point
off for numbers that contradict the student's own outputs, or for claims of privacy or fairness the measurements
do not support (an AUC near 0.5 is not a guarantee).

*A model answer (the numbers vary with the run; a good answer quotes the student's own).*

- **Not for decisions or for synthetic data about people.** It was trained on the 1,437 training digits of 13 writers for teaching;
  it is no model of handwriting in general, and its samples must not stand in for real data in any evaluation.
- **Its class balance is not the data's.** Even trained on balanced digits, the classifier reads some classes in its
  samples several times as often as others (rarest and commonest shares with intervals in the card; five to
  eleven times in our runs), and fewer of its
  samples are read confidently than real digits: it blurs classes together, so counts of its samples are biased.
- **It amplifies imbalance.** Trained on 90/10 ones and sevens, the share of sevens in its samples fell far below
  the data's (section 4); oversampling the minority restored much of it. Any minority in the training data should be
  expected to shrink in the output unless the data are re-balanced and the output re-audited.
- **Its samples are easy to detect but only by the right detector.** The boosted-tree detector trained on its samples
  flags nearly all of them; a detector trained on another generator can miss them, so "passes a detector" means little.
- **Not evaluated:** writers' style and identity (unlabelled), other data sets, other attacks than the distance-based
  membership inference (e.g. attacks with access to the model's likelihood or weights), and people's judgement of the
  samples. The low membership-inference AUC is evidence against gross memorisation, not a privacy guarantee: that
  needs differential privacy in training.
- **Recommendations.** Users: audit the class balance of any sample set you use and report it with an interval.
  Developers: track the class balance, the detection rates and the membership AUC as release criteria, re-balance or
  condition on the class (a conditional VAE, notebook 13), and train with a formal privacy budget (DP-SGD) if the
  data were private.
### END SOLUTION
""", "15-ex4-limitations", points=2))

# ---------------------------------------------------------------------------------------------- 7
add(md(r"""
## 7. From measurement to practice

Each experiment of this notebook is a small version of a practice that responsible teams use on real models.

- **Audits.** Sections 3–5 are an audit: a fixed protocol, run on every model version, whose numbers go into the
  model card. Real audits add people (red teams who try to misuse the model, external auditors with access the
  developer does not control) and slices that matter for the application: for faces, skin tone, age and gender, as
  *Gender Shades* did. Our audit had only the digit class as a factor; the writers were never evaluated.
- **Bias mitigation.** Section 4 measured one fix (oversampling: from a few percent of sevens to about 40%) and its
  limit (it cannot create diversity). Others: collect more data from the minority; re-weight the loss; condition the
  model on the group so that the user chooses the mix (notebook 13); and re-audit after every change, because a
  fix for one group can shift another.
- **Provenance over detection.** Section 3 showed why detection alone loses: detectors learn one generator's
  fingerprints and miss the next. The alternative is to mark content when it is made: watermarks embedded by the
  generator (Google DeepMind's SynthID, 2023) and signed provenance metadata such as the C2PA "content credentials"
  standard, so that a camera or an editing tool can say where an image came from.
- **Privacy.** Section 5 showed that a model can look fine on held-out likelihood and still give away its training
  data. Deduplicate the training data, test every release with membership inference, and train on sensitive data
  only with differential privacy.
- **User education.** People should know that realistic media can be fabricated, that a detector's "real" verdict is
  weak evidence (our copier fooled every detector), and that the liar's dividend works both ways: check the source
  and the provenance, not only the pixels.
- **Policy.** Law is catching up. The EU AI Act (Regulation (EU) 2024/1689), Article 50, requires providers of
  generative systems to mark their outputs as artificially generated in a machine-readable way and deployers to
  disclose deepfakes, with these obligations applying from August 2026 (the European Commission's "Digital Omnibus"
  proposal of November 2025 would give systems already on the market extra time: check the text in force); China's rules on "deep synthesis" services have
  required labelling since January 2023. Data-protection law (the EU's GDPR) applies to personal data inside a
  training set, which is exactly what a membership-inference attack exposes.
"""))

add(md(r"""
## Summary

- Generative models are misused for deepfakes, misinformation and fraud; cheap fakes also let real evidence be
  dismissed (the liar's dividend); and models reproduce, or amplify, the skew of their training data.
- **Detection** (section 3): a boosted-tree detector catches nearly every sample of the generator it was trained on
  and misses most samples of other generators (the KDE's and the VAE's detectors); pooling generators helps until
  the next one arrives. Copies of real data pass every detector.
- **Bias** (section 4): on 90/10 data the KDE keeps the share of the minority, the single Gaussian and the VAE amplify
  the imbalance (on average fewer than half as many sevens as the data), the GMM varies; oversampling recovers much but not all.
  Report a share with its interval, and the spread over retraining.
- **Privacy** (section 5): a membership-inference attack with only samples recognises the members of the copier and of
  the KDE (AUC near 1), even though the KDE's bandwidth had the best held-out likelihood; the GMM's and the VAE's AUC
  are near 0.5, which is evidence, not a guarantee.
- **Transparency** (section 6): a model card states intended use, factors, metrics and limitations, and is best
  generated from the measurements so that it stays true.
"""))

add(md(r"""
## Check your understanding

1. A detector trained on one generator's samples flags 99% of them with few false alarms. Why is that not evidence
   that it will catch deepfakes "in the wild"? What did section 3 show?
2. Why did the copier pass every detector, and why is that no comfort?
3. In section 4, why audit the training data with the same classifier instead of comparing with the true 20/202?
4. The Wald interval of one model's samples is narrow, yet retrained models can scatter more widely (the rows
   flagged "extra spread"). Which interval
   answers "does this *training recipe* amplify imbalance?"
5. The KDE had the best held-out likelihood of its family and still leaked membership. Explain why, from how a KDE
   samples.
6. An AUC of 0.5 in the attack of section 5: does it prove the model is private? What would?
"""))

add(answer(r"""**Your answers** (the instructor version holds model answers here)
### BEGIN SOLUTION
1. It was tested on the generator it was trained on, whose fingerprints (noise, blur) it learned. Section 3's KDE and
   VAE detectors flagged most of their own samples and missed most samples of the other generators; real deepfakes
   come from generators the defender has not seen (the DFDC's winner scored about 65% on its unseen black-box videos). Report
   detection on held-out *generators*, not just held-out samples.
2. Its samples are training digits, so they have every statistic of real digits and the detector has nothing to
   find. It is no comfort because its harm is of another kind: it publishes its training data, which section 5's
   attack detects with an AUC near 1. "Undetectable" and "private" are different properties.
3. Because the classifier is itself an imperfect instrument: it mislabels some real digits, and more of the
   ambiguous ones. Auditing the data with the same instrument gives the share the models should reproduce *as
   measured*, so that a difference is the model's, not the classifier's. (Here the classifier read the training data
   almost perfectly, asserted.)
4. The interval over repetitions (retraining on new data and seeds, Student's $t$): the Wald interval of one model
   only covers the noise of its 2,000 samples, while the recipe's output also varies with the data drawn and the
   training run. With few repetitions that interval is wide; more repetitions narrow it.
5. A KDE samples by picking a training digit and adding $\mathcal N(0, h^2 I)$ noise, so every sample lies within
   about $8h$ of a training digit. The held-out likelihood is best for a small $h$ (in 64 dimensions, densities are
   sharply peaked around the data), which is small enough that each member has a sample much closer than any
   non-member has. Good held-out likelihood and privacy are different properties.
6. No. It shows that this attack, with these samples and these candidates, could not tell members apart on average.
   Stronger attacks (with access to the model's likelihood or weights), more samples, or a focus on outliers may
   succeed; an average AUC also hides a few exposed records. Only training with differential privacy gives a bound
   that holds for every attack: TPR at most $e^{\varepsilon}$ FPR $+ \delta$.
### END SOLUTION""", "15-answers", points=0))

write(f"/work/main/notebooks/{NAME}", cells)
print(f"wrote notebooks/{NAME}: {len(cells)} cells")
