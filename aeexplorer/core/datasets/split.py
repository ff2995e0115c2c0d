"""A split of a data set as the training and the metrics take it: its images (one tensor in
memory, or streamed: ``aeexplorer.core.datasets.stream``), its labels and what they mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


NO_LABEL = -1  # the label of an image that has none (a flat image folder)


@dataclass
class Split:
    images: torch.Tensor  # (N, C, S, S) float32 in [0, 1]
    labels: torch.Tensor  # (N,) int64; NO_LABEL for an image without one
    class_names: tuple[str, ...] = ()  # what each label means; empty: the data has no labels
    skipped: int = 0  # files that could not be read and were left out (image folders)

    def __post_init__(self) -> None:
        if not self.class_names and len(self.labels) and int(self.labels.max()) >= 0:
            # labels without names (a split built by hand): the numbers are the names
            self.class_names = tuple(str(i) for i in range(int(self.labels.max()) + 1))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def labelled(self) -> bool:
        return bool(self.class_names) and bool((self.labels >= 0).any())
