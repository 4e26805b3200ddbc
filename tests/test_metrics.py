"""Tests for course_utils.metrics: mode coverage on hand-built cases and on the ring itself."""

import numpy as np
import pytest
import torch

from course_utils.datasets import ring_centers, ring_of_gaussians
from course_utils.metrics import mode_coverage


def test_mode_coverage_of_the_true_ring():
    X = ring_of_gaussians(4000, rng=0).X
    modes, hq = mode_coverage(X, ring_centers(), 0.02)
    assert modes == 8
    assert abs(hq - (1 - np.exp(-4.5))) < 0.01  # P(r < 3 std) = 1 - exp(-9/2) = 0.989 in 2-D; se 0.002


def test_mode_coverage_hand_examples():
    centers = ring_centers()
    rng = np.random.default_rng(0)
    collapsed = centers[:1] + 0.01 * rng.standard_normal((500, 2))  # all within 3 std of mode 0
    assert mode_coverage(collapsed, centers, 0.02) == (1, 1.0)
    assert mode_coverage(np.zeros((100, 2)), centers, 0.02) == (0, 0.0)  # the origin is 2 from every centre
    # 99 points on mode 0 and one on mode 1: mode 1 has exactly 1% of the samples, so it counts
    one_percent = np.vstack([np.repeat(centers[:1], 99, axis=0), centers[1:2]])
    assert mode_coverage(one_percent, centers, 0.02) == (2, 1.0)
    assert mode_coverage(one_percent, centers, 0.02, min_fraction=0.02) == (1, 1.0)


def test_mode_coverage_takes_tensors_and_skips_non_finite_samples():
    centers = ring_centers()
    samples = np.vstack([centers, [[np.nan, 0.0], [np.inf, np.inf]]])  # 8 perfect samples, 2 broken
    modes, hq = mode_coverage(torch.tensor(samples, dtype=torch.float32), torch.tensor(centers), 0.02)
    assert modes == 8 and hq == pytest.approx(0.8, abs=1e-12)


def test_mode_coverage_bad_input():
    with pytest.raises(ValueError, match="samples and centers must have the same number of columns"):
        mode_coverage(np.zeros((5, 3)), ring_centers(), 0.02)
    with pytest.raises(ValueError, match="std must be a finite number > 0"):
        mode_coverage(np.zeros((5, 2)), ring_centers(), 0.0)
    with pytest.raises(ValueError, match="centers must be 2-D"):
        mode_coverage(np.zeros((5, 2)), np.zeros(2), 0.02)
