import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_scatter_labels_draws_one_collection_per_label():
    X = np.random.default_rng(0).normal(size=(30, 2))
    ax = plotting.scatter_labels(X, np.arange(30) % 3, names=["a", "b", "c"], title="t", xlabel="x (m)")
    assert len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    assert ax.get_title() == "t" and ax.get_xlabel() == "x (m)"


def test_density_contours_evaluates_on_a_grid():
    calls = []

    def log_density(points):
        calls.append(points.shape)
        return -0.5 * (points ** 2).sum(1)

    _, ax = plt.subplots()
    assert plotting.density_contours(log_density, (-3, 3), (-2, 2), ax=ax, n_grid=20) is ax
    assert calls == [(400, 2)]


def test_gaussian_ellipse_axes_follow_the_covariance():
    ax = plotting.gaussian_ellipse([1.0, 2.0], np.diag([4.0, 1.0]), n_std=1.0)
    ellipse = ax.patches[0]
    assert ellipse.width == pytest.approx(4.0) and ellipse.height == pytest.approx(2.0)
    assert ellipse.center == pytest.approx((1.0, 2.0))


def test_sample_grid_accepts_tensors_and_lays_out_images():
    ax = plotting.sample_grid(torch.rand(12, 64), n_cols=5)
    image = ax.images[0].get_array()
    assert image.shape == (3 * 9 - 1, 5 * 9 - 1)


def test_training_curves_plots_each_series():
    ax = plotting.training_curves({"train": [3, 2, 1], "validation": [3.5, 2.5, 2.0]}, ylabel="loss")
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1, 2, 3])
