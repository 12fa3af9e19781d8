"""Run the published notebooks the way readers use them, and compare what they print with the site.

``python -m reader_notebooks build/notebooks --wheels build/dist ...`` (what
``nox -s notebooks`` runs) creates a new virtual environment holding a Jupyter
kernel and nothing else (``environment``). It runs every distinct install cell of
the notebooks in it, one after another, so that pip installs what a reader's
first cell would, at the site's versions: the helper package from the wheel
built from this checkout, everything else at the lock's versions, torch as the
site's build (a reader's own cell would take the newest torch its range
allows). Then it runs every notebook top to bottom, each in a new kernel
(``run``), and compares each code cell's text with what the site shows
(``compare``). A translated edition's notebooks must hold the original's
code and outputs cell for cell, and are run too (not with ``--translations
compare``). It prints one line per notebook and exits non-zero on any error
or difference, naming the notebook and the cell.

All notebooks share the one environment: a notebook whose install cell forgot
a package that another notebook's installed would still pass.
"""
