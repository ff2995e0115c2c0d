"""Pixels in and out: an upload's or an image file's bytes decoded within a memory budget, a
digit or a photo prepared as a model's training images were, and images resized and turned
between the numpy and torch layouts."""
