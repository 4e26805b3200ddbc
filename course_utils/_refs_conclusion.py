"""Exercise references of notebook 16 (conclusion: the capstone and the quiz), used as ``cu.exercises.<name>``.

Nothing here imports torch at import time: each function that needs it imports it itself.

- Exercise 1, coverage (Naeem et al., 2020): :func:`reference_coverage` and :func:`coverage_case`.
- Exercise 2, an energy distance averaged over sample draws with its standard error:
  :func:`reference_energy_summary`, :class:`GaussianDraws` (a seeded stream of sample sets),
  :func:`energy_summary_case` and :func:`compare_mean_se`.
- Exercise 3, the self-check quiz: :data:`conclusion_quiz` (questions and answers) and
  :func:`~course_utils._quiz.check_quiz`, which marks a dict ``{question_id: answer}``.
"""

from __future__ import annotations

import numpy as np

from ._quiz import Question, Quiz, QuizResult, check_quiz

__all__ = ["Question", "Quiz", "QuizResult", "check_quiz", "conclusion_quiz",
           "reference_coverage", "coverage_case", "reference_energy_summary", "GaussianDraws",
           "energy_summary_case", "compare_mean_se"]


# --- exercise 3: the quiz ---------------------------------------------------------------------------

conclusion_quiz = Quiz("Notebook 16 self-check quiz", (
    Question("q1", "A Gaussian mixture with $K = 3$ components in $D = 2$ dimensions with full covariance "
             "matrices: how many free parameters does it have?", 17,
             "Weights K - 1 = 2 (they sum to one), means K D = 6, covariances K D (D + 1) / 2 = 9 "
             "(symmetric 2 x 2 matrices have 3 free entries): 17. This is the count BIC charges for.",
             tolerance=0.0),
    Question("q2", "A hidden Markov model with $N = 2$ hidden states and $M = 3$ output symbols: how many free "
             "parameters are in its start probabilities, transition matrix and emission matrix together?", 7,
             "Each probability vector of length n has n - 1 free entries: start 2 - 1 = 1, two transition rows "
             "of 2 - 1 = 1 each, two emission rows of 3 - 1 = 2 each: 1 + 2 + 4 = 7."),
    Question("q3", "How are the encoder and the decoder of a VAE trained?", "c",
             "They are trained jointly, by gradient ascent on one objective, the ELBO: the encoder makes the "
             "bound tight, the decoder makes the data likely. Nothing is adversarial; that is the GAN.",
             choices=("they compete: the encoder tries to fool the decoder",
                      "the decoder is trained first, then the encoder is fitted to invert it",
                      "jointly, both maximising the same evidence lower bound (ELBO)",
                      "the encoder by maximum likelihood, the decoder by a discriminator")),
    Question("q4", r"For the VAE's prior $p(z) = \mathcal N(0, 1)$ and an encoder output $q(z \mid x) = "
             r"\mathcal N(\mu = 1, \sigma^2 = 1)$, what is $\mathrm{KL}(q \,\|\, p)$ in nats?", 0.5,
             "KL = (mu^2 + sigma^2 - 1 - log sigma^2) / 2 = (1 + 1 - 1 - 0) / 2 = 0.5 nats.", tolerance=0.01),
    Question("q5", r"At the GAN game's optimum ($p_g = p_{\text{data}}$ and the best discriminator), what is "
             r"the value $V(D^*, G^*)$ in nats (natural logarithm)?", -float(np.log(4.0)),
             "The best discriminator is D*(x) = p_data / (p_data + p_g) = 1/2 everywhere, so V = log 1/2 + "
             "log 1/2 = -log 4 = -1.386 nats (Goodfellow et al., 2014).", tolerance=0.01),
    Question("q6", r"A one-dimensional flow maps noise $z \sim \mathcal N(0, 1)$ to $x = 2z + 1$. What is "
             r"$\log p(x)$ at $x = 1$, in nats?", float(-0.5 * np.log(2 * np.pi) - np.log(2.0)),
             "Change of variables: z = (x - 1) / 2 = 0 and log p(x) = log N(0; 0, 1) - log |dx/dz| = "
             "-0.919 - log 2 = -1.612 nats.", tolerance=0.01),
    Question("q7", r"A diffusion model's forward process has $q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\, "
             r"x_0,\ (1 - \bar\alpha_t) I)$. With $\bar\alpha_t = 0.36$ and $x_0 = 2$, what is the mean of "
             r"$x_t$?", 1.2,
             "sqrt(0.36) * 2 = 0.6 * 2 = 1.2; the variance is 1 - 0.36 = 0.64. The data fade as the noise grows.",
             tolerance=0.01),
    Question("q8", "What does the Fréchet inception distance (FID) measure?", "b",
             "FID compares the mean and covariance of real and generated features: a model that copies one "
             "image (no diversity) and one that draws blurry images (low fidelity) both score badly. Precision "
             "and recall pull the two apart.",
             choices=("the diversity of the samples only", "fidelity and diversity together, in one number",
                      "the likelihood of the test set", "how well a classifier recognises the samples")),
    Question("q9", "A model scores high recall but low precision against the real data. What do its samples look "
             "like?", "a",
             "Recall high: the real data are covered by the samples' neighbourhoods. Precision low: many samples "
             "fall where there are no real points. The capstone's VAE draws look like this: a cloud over the "
             "moons and the gap between them.",
             choices=("they cover all the data but many fall off it", "they sit on the data but miss parts of it",
                      "they are copies of training points", "they match the data in every respect")),
    Question("q10", "How are GPT-style language models trained?", "d",
             "On next-token prediction over unlabelled text: self-supervised, with the labels taken from the text "
             "itself. Not adversarially and not from human-labelled data (fine-tuning with human feedback "
             "comes after).",
             choices=("as a GAN, a generator of sentences against a discriminator",
                      "supervised, on sentences labelled by people",
                      "as a VAE over whole documents", "self-supervised, predicting the next token")),
    Question("q11", "A membership-inference test on a generative model answers which question?", "c",
             "Whether one record was in the training set, told from the model's outputs (notebook 15). A "
             "model that memorises leaks its training data, a privacy risk for synthetic health records.",
             choices=("whether a sample was made by a model or by a person",
                      "which class a generated sample belongs to",
                      "whether a given record was part of the training data",
                      "how many parameters the model has")),
))


# --- exercise 1: coverage ----------------------------------------------------------------------------

def reference_coverage(real, fake, k) -> float:
    """Coverage (Naeem et al., 2020) with the exercise's signature: the share of real points whose k-NN ball
    (radius: the distance to the k-th nearest *other* real point) holds at least one fake point.

    Parameters
    ----------
    real : ndarray (n, d)
    fake : ndarray (m, d)
    k : int

    Returns
    -------
    float in [0, 1]

    See Also
    --------
    course_utils.metrics.density_coverage : density and coverage together (this is its second value).
    """
    from . import metrics

    return metrics.density_coverage(real, fake, k=k)[1]


def coverage_case(n_real: int, n_fake: int, d: int, k: int, seed: int, *, shift: float = 0.0,
                  spread: float = 1.0, label: str | None = None):
    """A check case ``(real, fake, k)`` for the coverage exercise: ``n_real`` points of N(0, I_d) and
    ``n_fake`` of N(shift, spread^2 I_d), float64, drawn from ``seed``."""
    from ._checker import case

    rng = np.random.default_rng(seed)
    real = rng.standard_normal((n_real, d))  # (n_real, d)
    fake = shift + spread * rng.standard_normal((n_fake, d))  # (n_fake, d)
    return case(real, fake, k, label=label)


# --- exercise 2: energy distance over several draws -----------------------------------------------

class GaussianDraws:
    """A reproducible stream of sample sets: ``draws(i)`` is the i-th set, ``n`` points of N(shift, I_d).

    Each call builds its own generator from ``(seed, i)``, so ``draws(i)`` is the same array every time
    and different ``i`` give different sets (as a model's ``sample(n, seed=i)`` does).
    """

    def __init__(self, n: int, d: int, shift: float, seed: int):
        self.n, self.d, self.shift, self.seed = n, d, shift, seed

    def __call__(self, i: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, int(i)])
        return self.shift + rng.standard_normal((self.n, self.d))  # (n, d)

    def __repr__(self) -> str:
        return f"GaussianDraws(n={self.n}, d={self.d}, shift={self.shift}, seed={self.seed})"


def reference_energy_summary(draw, real, n_draws) -> tuple[float, float]:
    """The mean energy distance of ``n_draws`` sample sets to ``real`` and its standard error.

    Parameters
    ----------
    draw : callable
        ``draw(i)`` returns the i-th sample set, an array (m, d), for ``i = 0 .. n_draws - 1``.
    real : ndarray (n, d)
    n_draws : int, at least 2

    Returns
    -------
    (mean, standard_error) : tuple of float
        The mean of the ``n_draws`` values of :func:`course_utils.metrics.energy_distance` and
        ``std(values, ddof=1) / sqrt(n_draws)``.
    """
    from . import metrics

    values = np.array([metrics.energy_distance(draw(i), real) for i in range(n_draws)])  # (n_draws,)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(n_draws))


def energy_summary_case(n: int, d: int, shift: float, n_draws: int, seed: int, label: str | None = None):
    """A check case ``(draw, real, n_draws)``: a :class:`GaussianDraws` stream of ``n`` points of
    N(shift, I_d) per set, and ``n`` real points of N(0, I_d) drawn from ``seed``."""
    from ._checker import case

    real = np.random.default_rng(seed).standard_normal((n, d))  # (n, d)
    return case(GaussianDraws(n, d, shift, seed + 1), real, n_draws, label=label)


def compare_mean_se(expected, got, rtol: float = 1e-6, atol: float = 1e-10) -> str | None:
    """``compare_fn`` for a (mean, standard error) pair: any sequence or array of two numbers is accepted."""
    try:
        values = np.asarray(got, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return f"expected two numbers (mean, standard error), got {type(got).__name__}"
    if values.shape != (2,):
        return f"expected two numbers (mean, standard error), got {values.size}"
    if values[1] == 0 and expected[1] > 0:
        return ("the standard error is 0, as if every draw gave the same energy distance: score a different "
                "set of samples, draw(i), for each i")
    for what, e, g in zip(("the mean", "the standard error"), expected, values):
        if not np.isclose(g, e, rtol=rtol, atol=atol):
            return f"{what} should be {e:.6g} (got {g:.6g})"
    return None
