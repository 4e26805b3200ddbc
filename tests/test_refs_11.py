"""Notebook 11's exercise references (course_utils/_refs_eval.py) and its three check cells.

The check cells are taken from the notebook itself and run on other correct solutions (which must pass)
and on the common mistakes (which must fail with a message that points at the mistake).
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
from scipy.special import xlogy

import course_utils as cu
from course_utils import exercises as ex

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "11-evaluating-generative-models.ipynb"


# --- the references ---------------------------------------------------------------------------------

def test_reference_inception_score_known_values():
    assert ex.reference_inception_score(np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]]) == pytest.approx(4.0, abs=1e-12)
    assert ex.reference_inception_score(np.tile([0.7, 0.2, 0.1], (6, 1))) == pytest.approx(1.0, abs=1e-12)
    probs = np.random.default_rng(0).dirichlet(np.ones(5), size=30)
    marginal = probs.mean(0)
    by_hand = math.exp(np.mean([np.sum(p * np.log(p / marginal)) for p in probs]))
    assert ex.reference_inception_score(probs) == pytest.approx(by_hand, rel=1e-12)
    assert ex.reference_inception_score(probs) == pytest.approx(cu.metrics.inception_score(probs, n_splits=1)[0])


def test_compare_kl_names_bits():
    assert ex.compare_kl(0.5, 0.5 + 1e-9) is None
    assert ex.compare_kl(float("inf"), float("inf")) is None
    assert "bits" in ex.compare_kl(0.5, 0.5 / math.log(2.0))
    message = ex.compare_kl(0.5, 0.7)
    assert message and "bits" not in message
    assert "NaN" in ex.compare_kl(0.5, float("nan"))


def test_compare_inception_score_names_the_missing_exponential():
    assert ex.compare_inception_score(4.0, 4.0) is None
    assert "log(IS)" in ex.compare_inception_score(4.0, math.log(4.0))
    message = ex.compare_inception_score(4.0, 3.0)
    assert message and "log(IS)" not in message


# --- the check cells, run on other solutions and on mistakes -----------------------------------------

def _check_cell(grade_id: str) -> str:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id]
    return "".join(cell["source"])


def _run_check(grade_id: str, name: str, fn, capsys, monkeypatch) -> str:
    monkeypatch.delenv("WORKBOOK_GRADING", raising=False)
    namespace = {"np": np, "cu": cu, name: fn}
    exec(compile(_check_cell(grade_id), f"<{grade_id}>", "exec"), namespace)
    return capsys.readouterr().out


# Exercise 1: discrete KL


def kl_loop(p, q):
    total = 0.0
    for pi, qi in zip(p, q):
        if pi == 0:
            continue
        if qi == 0:
            return math.inf
        total += pi * math.log(pi / qi)
    return total


def kl_where(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / q), 0.0)
    return float(terms.sum())


def kl_xlogy(p, q):
    with np.errstate(divide="ignore"):
        return float(np.sum(xlogy(p, p / q)))


def kl_bits(p, q):
    support = p > 0
    return float(np.sum(p[support] * np.log2(p[support] / q[support])))


def kl_swapped(p, q):
    support = q > 0
    return float(np.sum(q[support] * np.log(q[support] / p[support])))


def kl_no_mask(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(p * np.log(p / q)))


def kl_scipy(p, q):
    from scipy.stats import entropy

    return float(entropy(p, q))


@pytest.mark.parametrize("fn", [kl_loop, kl_where, kl_xlogy])
def test_kl_check_accepts_other_solutions(fn, capsys, monkeypatch):
    out = _run_check("ex1-kl-divergence-check", "my_kl_divergence", fn, capsys, monkeypatch)
    assert "\u2705" in out, out


@pytest.mark.parametrize("fn, expected", [(kl_bits, "in bits"), (kl_swapped, "not KL(q || p)"),
                                          (kl_no_mask, "0 log 0 counts as 0"), (kl_scipy, "rules out")])
def test_kl_check_rejects_mistakes(fn, expected, capsys, monkeypatch):
    out = _run_check("ex1-kl-divergence-check", "my_kl_divergence", fn, capsys, monkeypatch)
    assert "\u274c" in out and expected in out, out


# Exercise 2: Fréchet distance


def fd_sqrtm_product(mu1, sigma1, mu2, sigma2):
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * np.real(covmean)))


def fd_sqrtm_symmetric(mu1, sigma1, mu2, sigma2):
    root = np.real(scipy.linalg.sqrtm(sigma1))
    middle = np.real(scipy.linalg.sqrtm(root @ sigma2 @ root))
    return float(np.linalg.norm(mu1 - mu2) ** 2 + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(middle))


def fd_eigvals(mu1, sigma1, mu2, sigma2):
    lam = np.linalg.eigvals(sigma1 @ sigma2)
    trace_root = np.sqrt(np.clip(np.real(lam), 0, None)).sum()
    return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)


def fd_elementwise(mu1, sigma1, mu2, sigma2):
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * np.sqrt(np.abs(sigma1 @ sigma2))))


def fd_not_squared(mu1, sigma1, mu2, sigma2):
    covmean = np.real(scipy.linalg.sqrtm(sigma1 @ sigma2))
    return float(np.linalg.norm(mu1 - mu2) + np.trace(sigma1 + sigma2 - 2 * covmean))


def fd_no_factor_two(mu1, sigma1, mu2, sigma2):
    covmean = np.real(scipy.linalg.sqrtm(sigma1 @ sigma2))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - covmean))


def fd_library(mu1, sigma1, mu2, sigma2):
    return cu.metrics.frechet_distance(mu1, sigma1, mu2, sigma2)


@pytest.mark.parametrize("fn", [fd_sqrtm_product, fd_sqrtm_symmetric, fd_eigvals])
def test_frechet_check_accepts_other_solutions(fn, capsys, monkeypatch):
    out = _run_check("ex2-frechet-distance-check", "my_frechet_distance", fn, capsys, monkeypatch)
    assert "\u2705" in out, out


@pytest.mark.parametrize("fn, expected", [(fd_elementwise, "not an elementwise one"),
                                          (fd_not_squared, "expect"), (fd_no_factor_two, "expect 6"),
                                          (fd_library, "rules out")])
def test_frechet_check_rejects_mistakes(fn, expected, capsys, monkeypatch):
    out = _run_check("ex2-frechet-distance-check", "my_frechet_distance", fn, capsys, monkeypatch)
    assert "\u274c" in out and expected in out and "Hint" in out, out


# Exercise 3: inception score


def _kl_rows(P, marginal):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(P > 0, P * (np.log(P) - np.log(marginal)), 0.0).sum(axis=1)


def is_vectorised(probs):
    return float(np.exp(_kl_rows(probs, probs.mean(0)).mean()))


def is_loop(probs):
    marginal = probs.mean(axis=0)
    kls = []
    for row in probs:
        kls.append(sum(p * math.log(p / m) for p, m in zip(row, marginal) if p > 0))
    return math.exp(sum(kls) / len(kls))


def is_entropies(probs):
    marginal = probs.mean(0)
    h_marginal = -np.sum(xlogy(marginal, marginal))
    h_rows = -np.sum(xlogy(probs, probs), axis=1)
    return float(np.exp(h_marginal - h_rows.mean()))  # IS = exp(H(p(y)) - E_x H(p(y|x)))


def is_log(probs):
    return float(_kl_rows(probs, probs.mean(0)).mean())


def is_reversed(probs):
    marginal = probs.mean(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kls = np.where(marginal > 0, marginal * (np.log(marginal) - np.log(probs)), 0.0).sum(axis=1)
    return float(np.exp(kls.mean()))


def is_mean_of_exp(probs):
    return float(np.exp(_kl_rows(probs, probs.mean(0))).mean())


@pytest.mark.parametrize("fn", [is_vectorised, is_loop, is_entropies])
def test_inception_check_accepts_other_solutions(fn, capsys, monkeypatch):
    out = _run_check("ex3-inception-score-check", "my_inception_score", fn, capsys, monkeypatch)
    assert "\u2705" in out, out


@pytest.mark.parametrize("fn, expected", [(is_log, "log(IS)"), (is_reversed, "Hint"), (is_mean_of_exp, "Hint")])
def test_inception_check_rejects_mistakes(fn, expected, capsys, monkeypatch):
    out = _run_check("ex3-inception-score-check", "my_inception_score", fn, capsys, monkeypatch)
    assert "\u274c" in out and expected in out, out
