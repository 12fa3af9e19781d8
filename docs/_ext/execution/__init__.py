"""Running the pages' code cells: the output cache, pages side by side, kernels forked warm."""
