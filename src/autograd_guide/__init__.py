"""Autograd Guide helpers."""
