"""Holding the pages to their promises: raised errors, pinned outputs, stray math, alt text."""
