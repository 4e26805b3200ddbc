import csv
import socket

import numpy as np
import pytest

from course_utils import datasets
from course_utils.datasets import HEIGHT_GROUPS


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


LOADERS = {
    "load_digits": ((1797, 64), 10),
    "load_iris": ((150, 4), 3),
    "load_penguins": ((342, 4), 3),
    "load_old_faithful": ((272, 2), 0),
    "load_seattle_weather": ((1461, 4), 5),
    "load_heights": ((1000, 1), 3),
    "load_fruits": ((300, 3), 3),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loaders_work_offline_and_return_arrays(name, no_network):
    shape, n_classes = LOADERS[name]
    ds = getattr(datasets, name)()
    assert ds.X.shape == shape and ds.X.dtype == np.float64
    assert np.isfinite(ds.X).all()
    assert len(ds.feature_names) == shape[1]
    assert len(ds.target_names) == n_classes
    if n_classes:
        assert ds.y.shape == (shape[0],) and set(np.unique(ds.y)) == set(range(n_classes))
    else:
        assert ds.y is None
    assert ds.description


def test_old_faithful_matches_published_summary():
    X = datasets.load_old_faithful().X
    # R: summary(faithful): eruptions mean 3.488, waiting mean 70.9; min/max 1.6/5.1 and 43/96
    assert X[:, 0].mean() == pytest.approx(3.487783, abs=1e-6)
    assert X[:, 1].mean() == pytest.approx(70.897059, abs=1e-6)
    assert (X.min(0) == [1.6, 43]).all() and (X.max(0) == [5.1, 96]).all()
    np.testing.assert_allclose(X[0], [3.6, 79])


def test_seattle_weather_covers_2012_to_2015():
    ds = datasets.load_seattle_weather()
    assert str(ds.dates[0]) == "2012-01-01" and str(ds.dates[-1]) == "2015-12-31"
    assert ds.target_names == ["drizzle", "fog", "rain", "snow", "sun"]


def test_heights_follow_the_lecture_mixture():
    ds = datasets.load_heights(n=40000, rng=1)
    for k, (_, mean, std, weight) in enumerate(HEIGHT_GROUPS):
        group = ds.X[ds.y == k, 0]
        assert group.mean() == pytest.approx(mean, abs=0.01)
        assert group.std() == pytest.approx(std, rel=0.05)
        assert len(group) / 40000 == pytest.approx(weight, abs=0.01)
    np.testing.assert_array_equal(datasets.load_heights(50, rng=3).X, datasets.load_heights(50, rng=3).X)


def test_fruit_groups_are_separable_by_their_means():
    ds = datasets.load_fruits(n=600)
    means = np.array([ds.X[ds.y == k].mean(0) for k in range(3)])
    expected = np.array([g[1] for g in datasets.FRUIT_GROUPS])
    np.testing.assert_allclose(means, expected, rtol=0.15)


def test_provenance_table_lists_every_loader():
    with open(datasets.data_dir() / "provenance.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["loader"] for r in rows} == set(LOADERS) | {"text.load_pydoc_corpus", "sklearn.datasets.load_breast_cancer",
                                                       "sklearn.datasets.load_sample_image"}
    assert all(r["license"] and r["source"] for r in rows)


def test_missing_optional_package_names_the_install_command(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "palmerpenguins", None)  # makes the import fail
    with pytest.raises(ImportError, match="pip install palmerpenguins"):
        datasets.load_penguins()


@pytest.mark.parametrize("call, match", [
    (lambda: datasets.load_heights(n=0), "n must be an integer >= 1"),
    (lambda: datasets.load_fruits(n=2), "n must be an integer >= 3"),
    (lambda: datasets.load_heights(rng="seed"), "rng must be"),
])
def test_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- the ring of Gaussians (generated) ------------------------------------------------------------

def test_ring_of_gaussians_is_a_dataset_of_the_stated_mixture():
    ds = datasets.ring_of_gaussians(8000, rng=0)
    assert isinstance(ds, datasets.Dataset)
    assert ds.X.shape == (8000, 2) and ds.X.dtype == np.float64 and ds.y.shape == (8000,)
    assert ds.feature_names == ["x1", "x2"] and ds.target_names == [f"mode {k}" for k in range(8)]
    centers = datasets.ring_centers()
    offsets = ds.X - centers[ds.y]  # (n, 2): each point minus the centre of the mode it came from
    assert np.abs(offsets.mean(0)).max() < 0.002  # standard error 0.02 / sqrt(8000) = 0.0002
    np.testing.assert_allclose(offsets.std(0), [0.02, 0.02], rtol=0.05)
    np.testing.assert_allclose(np.bincount(ds.y) / 8000, np.full(8, 1 / 8), atol=0.015)
    np.testing.assert_array_equal(datasets.ring_of_gaussians(10, rng=3).X, datasets.ring_of_gaussians(10, rng=3).X)
    stream = np.random.default_rng(1)
    first, second = datasets.ring_of_gaussians(5, rng=stream).X, datasets.ring_of_gaussians(5, rng=stream).X
    assert np.abs(first - second).max() > 0.01  # one Generator, called twice: fresh points


def test_ring_centers_lie_evenly_on_the_circle():
    centers = datasets.ring_centers(6, radius=3.0)
    assert centers.shape == (6, 2) and centers.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 3.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(centers[0], [3.0, 0.0], rtol=0, atol=1e-12)
    angles = np.unwrap(np.arctan2(centers[:, 1], centers[:, 0]))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 6, rtol=0, atol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: datasets.ring_of_gaussians(0), "n must be an integer >= 1"),
    (lambda: datasets.ring_of_gaussians(5, std=-1.0), "std must be a finite number > 0"),
    (lambda: datasets.ring_centers(0), "n_modes must be an integer >= 1"),
    (lambda: datasets.ring_centers(4, radius=0.0), "radius must be a finite number > 0"),
])
def test_ring_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
