"""Retrain the workbook's digits classifier and write the weights shipped in course_utils/weights/.

    python tools/train_digits_classifier.py            # train, report accuracy, write the weights
    python tools/train_digits_classifier.py --check    # only report the shipped weights' accuracy

The split is the one the tests use: train_test_split(X, y, test_size=0.2, random_state=0) on
scikit-learn's digits, with X the grey levels divided by 16. Training sees each image shifted by up to
one pixel (zero padding), so the classifier does not depend on exact pixel positions, which generated
digits do not respect. About 20 s on one CPU core.
"""

from __future__ import annotations

import argparse

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from course_utils._digits_classifier import DigitsClassifier


def split():
    digits = load_digits()
    return train_test_split(digits.data / 16.0, digits.target, test_size=0.2, random_state=0)


def shifted(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each 8x8 image moved by -1, 0 or +1 pixel in each direction, zero-padded."""
    images = torch.nn.functional.pad(x.reshape(-1, 8, 8), (1, 1, 1, 1))
    dy, dx = torch.randint(0, 3, (2, len(x)), generator=generator)
    rows = (torch.arange(8)[None, :] + dy[:, None])[:, :, None]
    cols = (torch.arange(8)[None, :] + dx[:, None])[:, None, :]
    return images[torch.arange(len(x))[:, None, None], rows, cols].reshape(-1, 64)


def train(epochs: int = 60, seed: int = 0) -> DigitsClassifier:
    X_train, _, y_train, _ = split()
    torch.manual_seed(seed)  # the layers' initial weights
    generator = torch.Generator().manual_seed(seed)
    model = DigitsClassifier()
    x = torch.as_tensor(X_train, dtype=torch.float32)
    y = torch.as_tensor(y_train)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=generator).split(64):
            loss = torch.nn.functional.cross_entropy(model(shifted(x[idx], generator)), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    return model.eval()


def accuracy(model: DigitsClassifier) -> tuple[float, float]:
    X_train, X_test, y_train, y_test = split()
    return float((model.predict(X_train) == y_train).mean()), float((model.predict(X_test) == y_test).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only evaluate the shipped weights")
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = DigitsClassifier.load() if args.check else train(args.epochs)
    train_acc, test_acc = accuracy(model)
    print(f"accuracy: train {train_acc:.4f}, test {test_acc:.4f}")
    if not args.check:
        print(f"wrote {model.save()}")


if __name__ == "__main__":
    main()
