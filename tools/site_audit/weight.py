"""What a page weighs over the network: the gzip size of every file it loaded.

Each file is compressed here (level 6, what web servers use by default) to
estimate what a reader downloads. A real host, and the audit's server
(server.py), compress text so; fonts and images, which gzip barely shrinks,
they send as they are, and the estimate counts them at about their size.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path


@cache
def gzip_size(path: Path) -> int:
    """Bytes of ``path`` once compressed with gzip at level 6."""
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def page_weight(files: list[Path]) -> int:
    """Total gzip bytes of the files a page loaded, each counted once."""
    return sum(gzip_size(path) for path in set(files))


def kib(size: int) -> str:
    """A byte count in KiB, as the report prints it."""
    return f"{size / 1024:,.0f}"
