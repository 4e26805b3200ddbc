from collections.abc import Mapping

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
    ax = plotting.sample_grid(torch.rand(12, 64, generator=torch.Generator().manual_seed(0)), n_cols=5)
    image = ax.images[0].get_array()
    assert image.shape == (3 * 9 - 1, 5 * 9 - 1)


def test_training_curves_plots_each_series():
    ax = plotting.training_curves({"train": [3, 2, 1], "validation": [3.5, 2.5, 2.0]}, ylabel="loss")
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1, 2, 3])


def test_training_curves_accepts_any_mapping():
    class History(Mapping):  # a read-only mapping like a trainer's history
        def __init__(self, **columns):
            self._columns = columns

        def __getitem__(self, key):
            return self._columns[key]

        def __iter__(self):
            return iter(self._columns)

        def __len__(self):
            return len(self._columns)

    ax = plotting.training_curves(History(loss=[3.0, 2.0], val_loss=[3.5, 2.5]))
    assert [line.get_label() for line in ax.lines] == ["loss", "val_loss"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [3.5, 2.5])
    with pytest.raises(TypeError, match="mapping"):
        plotting.training_curves([1.0, 2.0])


# --- moving average -------------------------------------------------------------------------------

@pytest.mark.parametrize("window", [1, 2, 5, 30])
def test_moving_average_matches_a_loop(window):
    values = np.random.default_rng(0).normal(size=25)
    expected = [values[max(0, t - window + 1): t + 1].mean() for t in range(len(values))]
    np.testing.assert_allclose(plotting.moving_average(values, window), expected, rtol=1e-12, atol=1e-12)


def test_moving_average_worked_example_and_bad_window():
    np.testing.assert_allclose(plotting.moving_average([1, 3, 5, 7], 2), [1.0, 2.0, 4.0, 6.0], atol=1e-12)
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        plotting.moving_average([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="values must be 1-D"):
        plotting.moving_average(np.zeros((2, 2)), 2)


# --- heat map -------------------------------------------------------------------------------------

def test_heatmap_annotates_every_cell_and_labels_ticks():
    A = np.array([[0.7, 0.1, 0.2], [0.25, 0.5, 0.25]])
    ax = plotting.heatmap(A, row_labels=["sun", "rain"], col_labels=["walk", "movie", "swim"], vmin=0,
                          vmax=1, title="B", xlabel="activity", ylabel="weather")
    assert [t.get_text() for t in ax.texts] == ["0.70", "0.10", "0.20", "0.25", "0.50", "0.25"]
    assert [t.get_position() for t in ax.texts][1] == (1, 0)  # (column, row)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sun", "rain"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["walk", "movie", "swim"]
    assert ax.get_title() == "B" and ax.get_xlabel() == "activity" and ax.get_ylabel() == "weather"
    assert len(ax.figure.axes) == 2  # the colour bar
    assert ax.images[0].get_clim() == (0, 1)
    labelled = plotting.heatmap(A, colorbar_label="probability")
    assert labelled.figure.axes[-1].get_ylabel() == "probability"


def test_heatmap_text_colour_follows_the_cell_and_integer_format():
    _, ax = plt.subplots()
    assert plotting.heatmap(np.array([[0.0, 9.0], [3.0, 1.0]]), ax=ax, fmt="d", colorbar=False) is ax
    assert [t.get_text() for t in ax.texts] == ["0", "9", "3", "1"]
    assert ax.texts[0].get_color() == "black" and ax.texts[1].get_color() == "white"
    assert len(ax.figure.axes) == 1
    with pytest.raises(ValueError, match="row_labels must have 2 entries"):
        plotting.heatmap(np.eye(2), row_labels=["a"])


# --- density on a grid ----------------------------------------------------------------------------

def _standard_normal_log_prob(points):
    return -0.5 * (points ** 2).sum(1) - np.log(2 * np.pi)


def test_density_grid_numpy_callable_integrates_to_one():
    xx, yy, density = plotting.density_grid(_standard_normal_log_prob, (-6, 6), (-5, 5), n_grid=121)
    assert xx.shape == yy.shape == density.shape == (121, 121)
    np.testing.assert_allclose(xx[0, [0, -1]], [-6, 6])
    np.testing.assert_allclose(yy[[0, -1], 0], [-5, 5])
    mass = density.sum() * (xx[0, 1] - xx[0, 0]) * (yy[1, 0] - yy[0, 0])
    assert mass == pytest.approx(1.0, abs=1e-3)


class _Gaussian(torch.nn.Module):
    """A torch 'model' whose log_prob is a standard normal; it records the inputs it saw."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones((), dtype=torch.float64))
        self.seen = []

    def log_prob(self, x):
        self.seen.append((type(x), x.dtype, x.shape, torch.is_grad_enabled(), self.training))
        return torch.distributions.Normal(0.0, self.scale).log_prob(x).sum(-1)


def test_density_grid_runs_a_torch_method_batched_in_eval_mode_without_grad():
    model = _Gaussian()
    xx, yy, density = plotting.density_grid(model.log_prob, (-3, 3), (-3, 3), n_grid=30, batch_size=500)
    assert [tuple(s[2]) for s in model.seen] == [(500, 2), (400, 2)]  # 900 points in batches of 500
    assert all(s[0] is torch.Tensor and s[1] == torch.float64 and not s[3] and not s[4] for s in model.seen)
    assert model.training  # mode restored
    assert isinstance(density, np.ndarray) and density.dtype == np.float64
    np.testing.assert_allclose(density, np.exp(_standard_normal_log_prob(np.stack([xx, yy], -1).reshape(-1, 2)))
                               .reshape(xx.shape), rtol=1e-12)


def test_density_grid_with_device_passes_tensors_to_any_callable():
    seen = []

    def log_prob(x):
        seen.append(type(x))
        return -0.5 * (x ** 2).sum(1)

    _, _, density = plotting.density_grid(log_prob, (-1, 1), (-1, 1), n_grid=5, device="cpu")
    assert seen == [torch.Tensor] and density.shape == (5, 5)
    assert density.max() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="one value per point"):
        plotting.density_grid(lambda x: x, (-1, 1), (-1, 1), n_grid=5)


# --- GAN plots ------------------------------------------------------------------------------------

def _gan_history(n_steps=60, n_snapshots=7):
    rng = np.random.default_rng(0)
    return {
        "step": list(range(1, n_steps + 1)),
        "loss": list(0.7 + 0.1 * rng.normal(size=n_steps)),
        "d_loss": list(1.38 + 0.1 * rng.normal(size=n_steps)),
        "d_real_accuracy": list(rng.uniform(0.4, 0.6, n_steps)),
        "d_fake_accuracy": list(rng.uniform(0.4, 0.6, n_steps)),
        "sample_steps": [int(s) for s in np.linspace(10, n_steps, n_snapshots)],
        "samples": [torch.randn(50, 2, generator=torch.Generator().manual_seed(i)) for i in range(n_snapshots)],
    }


def test_gan_dynamics_draws_smoothed_losses_and_accuracies():
    history = _gan_history()
    loss_ax, acc_ax = plotting.gan_dynamics(history, window=10, title="ring")
    labels = [line.get_label() for line in loss_ax.lines]
    assert labels[:2] == ["D loss", "G loss"]
    np.testing.assert_allclose(loss_ax.lines[1].get_xdata(), history["step"])
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), plotting.moving_average(history["loss"], 10),
                               rtol=1e-12)
    np.testing.assert_allclose(acc_ax.lines[0].get_ydata(),
                               plotting.moving_average(history["d_real_accuracy"], 10), rtol=1e-12)
    assert loss_ax.get_title().startswith("ring: losses") and acc_ax.get_ylim() == pytest.approx((0, 1.05))
    assert loss_ax.get_xlabel() == "generator step" and loss_ax.get_ylabel() == "loss (nats)"


def test_gan_dynamics_on_one_axes_uses_a_twin_axis():
    _, ax = plt.subplots()
    assert plotting.gan_dynamics(_gan_history(), ax=ax) is ax
    assert len(ax.figure.axes) == 2 and len(ax.figure.axes[1].lines) == 3
    with pytest.raises(KeyError, match="'d_loss'"):
        plotting.gan_dynamics({"loss": [1.0]})


def test_gan_snapshots_spreads_panels_over_the_snapshots():
    history = _gan_history(n_snapshots=7)
    real = np.zeros((20, 2))
    axes = plotting.gan_snapshots(history, real=real, centers=np.ones((8, 2)), max_panels=4)
    assert [ax.get_title() for ax in axes] == [f"step {history['sample_steps'][i]}" for i in (0, 2, 4, 6)]
    assert all(len(ax.collections) == 3 and ax.get_aspect() == pytest.approx(1.0) for ax in axes)
    np.testing.assert_allclose(axes[-1].collections[1].get_offsets(), history["samples"][6].numpy())
    two = plotting.gan_snapshots({"sample_steps": [5], "samples": [np.zeros((3, 2))]})
    assert len(two) == 1
    _, given = plt.subplots(1, 2)
    assert list(plotting.gan_snapshots(history, axes=given)) == list(given)
    with pytest.raises(ValueError, match="as many samples as sample_steps"):
        plotting.gan_snapshots({"sample_steps": [1, 2], "samples": [np.zeros((3, 2))]})
