"""Run the published notebooks the way readers use them, and compare what they print with the site.

``python -m reader_notebooks build/notebooks --wheels build/dist ...`` (what
``nox -s notebooks`` runs) creates a new virtual environment holding a Jupyter
kernel and nothing else (``environment``), runs every notebook's install cell
in it, one after another, so that pip installs what a reader's first cell would
(the helper package from the wheel built from this checkout, everything else at
the lock's versions), then runs every notebook of every edition top to bottom,
each in a new kernel (``run``), and compares each code cell's text with the
output the site shows (``compare``). It prints one line per notebook and exits
non-zero on any error or difference, naming the notebook and the cell.
"""
