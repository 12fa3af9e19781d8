"""Running the pages' code cells: the output cache, pages side by side, kernels forked warm.

Also the pages to read again on the next build (``reread.py``), which the cell checks use too.
"""
