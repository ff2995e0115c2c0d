"""Checkpoints: the safetensors file and its atlas, its untrusted header read and checked, the
model card, and the table of the metrics it carries."""
