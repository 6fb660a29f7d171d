"""Evaluating generators without an encoder: InfoGAN's category accuracy, mode coverage and a
conditional GAN's accuracy on the classes asked for.

Mode coverage needs to know which class a generated image shows, so a small classifier is
trained on the dataset's own labels first (its held-out accuracy is reported with the figures).
Its penultimate layer also gives the features of the Fréchet distance (``frechet``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentlab.core.data.dataset import Dataset
from latentlab.core.evaluation.metrics import ModeCoverage, hungarian_accuracy, mode_coverage
from latentlab.core.models.conditional import ConditionalGAN
from latentlab.core.models.conditional_vae import ConditionalVAE
from latentlab.core.models.gan import GAN, InfoGAN

_BATCH = 512


def _classifier_net(input_shape: tuple[int, int, int], n_classes: int) -> nn.Sequential:
    c, h, w = input_shape
    if min(h, w) >= 16:
        return nn.Sequential(
            nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), 128), nn.ReLU(),
            nn.Linear(128, n_classes),
        )
    return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, 256), nn.ReLU(),
                         nn.Linear(256, n_classes))


@dataclass
class LabelClassifier:
    """A small supervised classifier of the dataset's labels, for judging generated images."""

    net: nn.Sequential
    test_accuracy: float

    @classmethod
    def fit(cls, data: Dataset, epochs: int = 8, seed: int = 0,
            device: torch.device | str = "cpu") -> LabelClassifier:
        if data.labels is None:
            raise ValueError(f"{data.name}: the label classifier needs labels to train on.")
        torch.manual_seed(seed)
        net = _classifier_net(data.input_shape, len(data.class_names)).to(device)
        x = torch.from_numpy(data.images(data.train_indices)).to(device)
        y = torch.from_numpy(data.labels[data.train_indices]).to(device)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        shuffle = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=shuffle).to(device)
            for i in range(0, len(x), 64):
                batch = order[i : i + 64]
                loss = F.cross_entropy(net(x[batch]), y[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        classifier = cls(net.eval(), float("nan"))
        test = data.test_indices
        if len(test):
            predicted = classifier.predict(torch.from_numpy(data.images(test)).to(device))
            classifier.test_accuracy = float(np.mean(predicted == data.labels[test]))
        return classifier

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> np.ndarray:
        return torch.cat([self.net(x[i : i + _BATCH]).argmax(1)
                          for i in range(0, len(x), _BATCH)]).cpu().numpy()

    @property
    def feature_dim(self) -> int:
        return self.net[-1].in_features

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> np.ndarray:
        """Activations of the layer before the final Linear: what the classifier has learnt to
        tell the classes by, as N×``feature_dim`` on the CPU."""
        body = self.net[:-1]
        return torch.cat([body(x[i : i + _BATCH])
                          for i in range(0, len(x), _BATCH)]).cpu().numpy()


@torch.no_grad()
def generated_mode_coverage(model: GAN, classifier: LabelClassifier, n_classes: int,
                            n_samples: int = 10_000, seed: int = 0) -> ModeCoverage:
    """Classify ``n_samples`` generated images and score their class histogram."""
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    predicted = []
    for i in range(0, n_samples, _BATCH):
        inputs = model.sample_inputs(min(_BATCH, n_samples - i), generator, device)
        predicted.append(classifier.predict(model.decode(inputs)))
    return mode_coverage(np.concatenate(predicted), n_classes)


@torch.no_grad()
def category_accuracy(model: InfoGAN, data: Dataset, indices: np.ndarray | None = None) -> float:
    """Hungarian-matched accuracy of Q's categorical code against the labels (held-out split)."""
    if data.labels is None:
        raise ValueError(f"{data.name}: category accuracy needs labels.")
    indices = data.test_indices if indices is None else indices
    model.eval()
    device = next(model.parameters()).device
    x = torch.from_numpy(data.images(indices)).to(device)
    predicted = torch.cat([model.predict_category(x[i : i + _BATCH])
                           for i in range(0, len(x), _BATCH)]).cpu().numpy()
    return hungarian_accuracy(predicted, data.labels[indices])


@torch.no_grad()
def conditional_accuracy(model: ConditionalGAN | ConditionalVAE,
                         classifier: LabelClassifier,
                         n_samples: int = 10_000, seed: int = 0) -> float:
    """The share of a conditional model's samples that the classifier reads as the class asked
    for (every class asked for equally often): does the generated "7" read as a 7?"""
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    asked = torch.arange(n_samples) % model.cfg.n_categories
    read = [classifier.predict(model.decode(model.class_inputs(asked[i : i + _BATCH],
                                                               generator, device)))
            for i in range(0, n_samples, _BATCH)]
    return float(np.mean(np.concatenate(read) == asked.numpy()))
