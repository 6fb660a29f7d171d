"""Scores: map and reconstruction metrics, a whole model's evaluation, and GAN evaluation."""
