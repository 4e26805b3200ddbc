"""The workbook's own digits classifier: the feature extractor and classifier behind FID, KID, IS and PR.

No ImageNet network ships offline, so the evaluation notebooks use this small CNN for scikit-learn's
8x8 digits instead. Its weights live in ``course_utils/weights/digits_classifier.npz`` (about 150 kB);
``tools/train_digits_classifier.py`` retrains it from scratch on the training part of
``train_test_split(digits, test_size=0.2, random_state=0)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._metrics_distances import as_numpy
from ._validation import as_float_array

WEIGHTS = Path(__file__).with_name("weights") / "digits_classifier.npz"

#: Inputs may stray this far outside [0, 1] (generators overshoot a little) before they are refused.
_SLACK = 0.5


class DigitsClassifier(nn.Module):
    """A small CNN for 8x8 digits: two 3x3 convolutions, a 2x2 max-pool, a 64-unit feature layer, 10 logits.

    Inputs are (n, 64) pixel intensities in [0, 1] (scikit-learn's grey levels divided by 16), as NumPy
    arrays or tensors; values slightly outside [0, 1] are clipped, far outside refused (grey levels
    0..16 or [-1, 1] images need rescaling first). ``DigitsClassifier.load()`` gives the trained model.
    """

    n_features = 64

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, self.n_features), nn.ReLU())
        self.head = nn.Linear(self.n_features, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (n, 10) for a float tensor (n, 64) of intensities in [0, 1]."""
        return self.head(self.embed(self.conv(x.reshape(-1, 1, 8, 8))))

    @classmethod
    def load(cls, path=None) -> DigitsClassifier:
        """The trained classifier (CPU, float32, eval mode), from the weights shipped with the package."""
        path = Path(path) if path is not None else WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"no digits-classifier weights at {path}; retrain them with "
                                    f"`python tools/train_digits_classifier.py`")
        model = cls()
        with np.load(path) as arrays:
            state = {name: torch.from_numpy(arrays[name]) for name in arrays.files}
        model.load_state_dict(state)
        return model.eval()

    def save(self, path=None) -> Path:
        """Write the weights as a NumPy archive (the format :meth:`load` reads)."""
        path = Path(path) if path is not None else WEIGHTS
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **{k: v.detach().cpu().numpy() for k, v in self.state_dict().items()})
        return path

    def _as_input(self, x) -> torch.Tensor:
        arr = as_float_array(as_numpy(x), "x", ndim=2)
        if arr.shape[1] != 64:
            raise ValueError(f"x must have 64 columns, one 8x8 digit per row (got shape {arr.shape})")
        if arr.size and (arr.min() < -_SLACK or arr.max() > 1 + _SLACK):
            raise ValueError(f"x must hold intensities in [0, 1] (got values from {arr.min():.3g} to "
                             f"{arr.max():.3g}); divide grey levels 0..16 by 16, map [-1, 1] images with (x + 1) / 2")
        param = next(self.parameters())
        return torch.as_tensor(np.clip(arr, 0.0, 1.0), dtype=param.dtype, device=param.device)

    @torch.no_grad()
    def _batched(self, x, fn, batch_size: int = 2048) -> np.ndarray:
        was_training = self.training
        self.eval()
        try:
            t = self._as_input(x)
            return np.concatenate([fn(t[i:i + batch_size]).double().cpu().numpy()
                                   for i in range(0, len(t), batch_size)] or [np.empty((0, 10))])
        finally:
            self.train(was_training)

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities (n, 10), float64, rows summing to 1."""
        return self._batched(x, lambda t: torch.softmax(self(t).double(), dim=1))

    def predict(self, x) -> np.ndarray:
        """The most probable class of each row (n,)."""
        return self.predict_proba(x).argmax(axis=1)

    def features(self, x) -> np.ndarray:
        """The 64-dimensional feature layer (n, 64), float64: what FID, KID and precision/recall compare."""
        return self._batched(x, lambda t: self.embed(self.conv(t.reshape(-1, 1, 8, 8))))
