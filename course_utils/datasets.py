"""Offline data sets for the workbook: every loader works without a network connection.

Each loader returns a :class:`Dataset` of NumPy arrays with feature and label names. Where the data come
from and under which licence is in each docstring and in ``data/provenance.csv``. The generated data
sets (heights, fruits, the ring of Gaussians) take an ``rng`` and are drawn on the fly.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import numpy as np

from ._validation import check_positive_float, check_positive_int, check_rng

__all__ = ["Dataset", "load_digits", "load_iris", "load_penguins", "load_old_faithful",
           "load_seattle_weather", "load_heights", "load_fruits", "HEIGHT_GROUPS", "data_dir",
           "ring_of_gaussians", "ring_centers"]


@dataclasses.dataclass
class Dataset:
    """A data set as arrays.

    Attributes
    ----------
    X : ndarray, shape (n, D)
        Features (float64).
    y : ndarray of int, shape (n,), or None
        Labels as integer codes into ``target_names``; ``None`` when the data have no labels.
    feature_names : list of str, length D
    target_names : list of str
    description : str
        One line: what the data are, their source and licence.
    dates : ndarray of datetime64, shape (n,), or None
        For time series.
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: list
    target_names: list
    description: str
    dates: np.ndarray | None = None

    def __repr__(self) -> str:
        labels = "no labels" if self.y is None else f"{len(self.target_names)} classes"
        names = self.feature_names if len(self.feature_names) <= 6 else f"{len(self.feature_names)} features"
        return f"Dataset(n={self.X.shape[0]}, features={names}, {labels})"


def data_dir() -> Path:
    """The folder that holds the workbook's shipped data files (``data/`` at the repository root)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "data", here / "data"):
        if (candidate / "provenance.csv").exists():
            return candidate
    raise FileNotFoundError(
        "the workbook's data/ folder was not found next to course_utils; install the package from a "
        "clone of the repository with `pip install -e .` (on Colab the setup cell does this)"
    )


def _optional(module: str, package: str):
    """Import an optional data package, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"this loader needs the '{package}' package: pip install {package}") from exc


def load_digits() -> Dataset:
    """The 1,797 8x8 handwritten digits shipped with scikit-learn (UCI ML repository, CC BY 4.0).

    ``X`` holds pixel intensities 0..16, flattened to 64 features; ``y`` the digit 0..9.
    """
    from sklearn.datasets import load_digits as _load

    raw = _load()
    return Dataset(X=raw.data.astype(float), y=raw.target.astype(int),
                   feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
                   target_names=[str(d) for d in range(10)],
                   description="8x8 handwritten digits (UCI, via scikit-learn; CC BY 4.0)")


def load_iris() -> Dataset:
    """Fisher's 150 iris flowers, four measurements in cm (via scikit-learn; public domain)."""
    from sklearn.datasets import load_iris as _load

    raw = _load()
    return Dataset(X=raw.data.astype(float), y=raw.target.astype(int),
                   feature_names=["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"],
                   target_names=list(raw.target_names),
                   description="Iris flowers (Fisher 1936, via scikit-learn; public domain)")


def load_penguins() -> Dataset:
    """Palmer Archipelago penguins (Gorman, Williams & Fraser 2014; the ``palmerpenguins`` package, CC0).

    The rows with a missing measurement are dropped (342 of 344 remain). Features: bill length and
    depth (mm), flipper length (mm), body mass (g); labels: Adelie, Chinstrap, Gentoo.
    """
    pp = _optional("palmerpenguins", "palmerpenguins")
    df = pp.load_penguins()
    features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    df = df.dropna(subset=features).reset_index(drop=True)
    species = sorted(df["species"].unique())
    return Dataset(X=df[features].to_numpy(dtype=float),
                   y=df["species"].map({s: i for i, s in enumerate(species)}).to_numpy(dtype=int),
                   feature_names=features, target_names=species,
                   description="Palmer penguins (Gorman et al. 2014, palmerpenguins package; CC0)")


def load_old_faithful() -> Dataset:
    """The 272 Old Faithful eruptions: duration (min) and waiting time to the next eruption (min).

    From R's ``datasets::faithful`` (Azzalini & Bowman 1990; Härdle 1991), copied to
    ``data/old_faithful.csv``; no labels.
    """
    path = data_dir() / "old_faithful.csv"
    X = np.loadtxt(path, delimiter=",", skiprows=1)  # (272, 2)
    return Dataset(X=X, y=None, feature_names=["eruption_min", "waiting_min"], target_names=[],
                   description="Old Faithful geyser eruptions (R datasets::faithful; public domain)")


def load_seattle_weather() -> Dataset:
    """Daily Seattle weather 2012-01-01 .. 2015-12-31 (1,461 days) from the ``vega_datasets`` package.

    Features: precipitation (mm), maximum and minimum temperature (deg C), wind (m/s); labels: the
    day's weather (drizzle, fog, rain, snow, sun); ``dates`` holds the days. Source: NOAA via the
    Vega project (BSD-3-Clause).

    The labels change meaning over the years: "rain" nearly disappears in 2014-2015 while "fog" and
    "sun" take its place on wet days, so a model of the labels alone learns the relabelling; the
    measured columns are consistent throughout.
    """
    vd = _optional("vega_datasets", "vega_datasets")
    df = vd.local_data.seattle_weather()
    features = ["precipitation", "temp_max", "temp_min", "wind"]
    names = sorted(df["weather"].unique())
    return Dataset(X=df[features].to_numpy(dtype=float),
                   y=df["weather"].map({s: i for i, s in enumerate(names)}).to_numpy(dtype=int),
                   feature_names=["precipitation_mm", "temp_max_c", "temp_min_c", "wind_m_s"],
                   target_names=names, dates=df["date"].to_numpy(dtype="datetime64[D]"),
                   description="Seattle daily weather 2012-2015 (NOAA via vega_datasets; BSD-3-Clause)")


#: The lecture's three height groups: name, mean (m), standard deviation (m), weight.
HEIGHT_GROUPS = (("infants", 0.6, 0.1, 0.2), ("teenagers", 1.6, 0.2, 0.5), ("adults", 1.75, 0.1, 0.3))


def load_heights(n: int = 1000, rng=0) -> Dataset:
    """Heights (m) sampled from the lecture's three-group mixture (see ``HEIGHT_GROUPS``).

    Infants N(0.6, 0.1^2), teenagers N(1.6, 0.2^2), adults N(1.75, 0.1^2) with weights 0.2 / 0.5 / 0.3.
    Generated, so the true parameters are known; ``y`` says which group drew each height.

    Parameters
    ----------
    n : int
        Number of people.
    rng : numpy.random.Generator, int or None
        Seed (default 0, so the data are the same on every run).
    """
    n = check_positive_int(n, "n")
    rng = check_rng(rng)
    means = np.array([g[1] for g in HEIGHT_GROUPS])
    stds = np.array([g[2] for g in HEIGHT_GROUPS])
    weights = np.array([g[3] for g in HEIGHT_GROUPS])
    y = rng.choice(len(weights), size=n, p=weights)  # (n,)
    X = rng.normal(means[y], stds[y])[:, None]  # (n, 1)
    return Dataset(X=X, y=y, feature_names=["height_m"], target_names=[g[0] for g in HEIGHT_GROUPS],
                   description="Heights from the lecture's 3-group Gaussian mixture (generated)")


#: Fruit groups for the K-means example: name, mean of (weight g, colour hue deg, sweetness deg Brix).
FRUIT_GROUPS = (("citrus", (150.0, 35.0, 9.0), (25.0, 6.0, 1.0)),
                ("berries", (8.0, 250.0, 12.0), (3.0, 10.0, 1.5)),
                ("apples", (180.0, 100.0, 13.0), (30.0, 10.0, 1.5)))


def load_fruits(n: int = 300, rng=0) -> Dataset:
    """Synthetic fruits described by weight (g), colour hue (degrees) and sweetness (deg Brix).

    Three groups with known labels (citrus, berries, apples), drawn from Gaussians whose means and
    spreads are in ``FRUIT_GROUPS`` (plausible values, made up for teaching). Equal group sizes.
    """
    n = check_positive_int(n, "n", minimum=3)
    rng = check_rng(rng)
    y = np.arange(n) % len(FRUIT_GROUPS)
    rng.shuffle(y)
    means = np.array([g[1] for g in FRUIT_GROUPS])  # (3, 3)
    stds = np.array([g[2] for g in FRUIT_GROUPS])  # (3, 3)
    X = rng.normal(means[y], stds[y])  # (n, 3)
    X[:, 0] = np.abs(X[:, 0])
    return Dataset(X=X, y=y, feature_names=["weight_g", "hue_deg", "sweetness_brix"],
                   target_names=[g[0] for g in FRUIT_GROUPS],
                   description="Synthetic fruits with three known groups (generated)")


def ring_centers(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of the ring's modes, evenly spaced on a circle of ``radius``, the first at angle 0.

    Returns
    -------
    ndarray, shape (n_modes, 2), float64

    Examples
    --------
    >>> ring_centers(4, radius=1.0)[:2].round(6)
    array([[1., 0.],
           [0., 1.]])
    """
    n_modes = check_positive_int(n_modes, "n_modes")
    radius = check_positive_float(radius, "radius")
    angles = np.arange(n_modes) * (2 * np.pi / n_modes)  # (K,)
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])  # (K, 2)


def ring_of_gaussians(n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, rng=None) -> Dataset:
    """``n`` points from an equal-weight mixture of 2-D Gaussians on a ring (Metz et al., 2017).

    The classic test of mode collapse for GANs: the modes are narrow and far apart, so a generator that
    misses some is easy to see and to count (:func:`course_utils.metrics.mode_coverage`).

    Parameters
    ----------
    n : int
        Number of points.
    n_modes : int
        K, the number of modes, centred at :func:`ring_centers`.
    radius : float
    std : float
        Standard deviation of every component (isotropic).
    rng : numpy.random.Generator, int or None
        Pass one Generator and call repeatedly for a stream of fresh samples; an int always gives
        the same points.

    Returns
    -------
    Dataset
        ``X`` float64 (n, 2); ``y`` (n,) the mode each point was drawn from.

    Examples
    --------
    >>> ds = ring_of_gaussians(100, rng=0)
    >>> ds.X.shape, sorted(set(ds.y.tolist())) == list(range(8))
    ((100, 2), True)
    """
    n = check_positive_int(n, "n")
    std = check_positive_float(std, "std")
    centers = ring_centers(n_modes, radius)  # (K, 2)
    rng = check_rng(rng)
    y = rng.integers(0, len(centers), size=n)  # (n,)
    X = centers[y] + std * rng.standard_normal((n, 2))  # (n, 2)
    return Dataset(X=X, y=y, feature_names=["x1", "x2"], target_names=[f"mode {k}" for k in range(len(centers))],
                   description=f"{len(centers)} Gaussians (std {std:g}) on a ring of radius {radius:g}, "
                               f"generated")
