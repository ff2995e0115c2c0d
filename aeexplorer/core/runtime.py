"""Seed and device, handled in one place."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for data shuffling."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def pick_device(preference: str = "auto") -> torch.device:
    """``auto`` takes the GPU when there is one; ``cpu`` / ``cuda`` force a choice."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference != "cpu" and preference != "cuda" and not preference.startswith("cuda:"):
        raise ValueError(f"unknown device {preference!r}: use auto, cpu or cuda")
    if preference != "cpu" and not torch.cuda.is_available():
        raise ValueError(f"device {preference!r} was asked for, but no CUDA GPU is available")
    return torch.device(preference)


def device_of(model: torch.nn.Module) -> torch.device:
    """Where a model's weights are: its inputs go there."""
    return next(model.parameters()).device
