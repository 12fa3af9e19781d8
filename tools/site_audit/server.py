"""Serve the built site on 127.0.0.1 from a thread, for the browser to load.

Text goes out compressed with gzip, as GitHub Pages sends it: Lighthouse weighs
what crosses the network, and would otherwise see each page at about twice
the weight a reader downloads.
"""

from __future__ import annotations

import functools
import gzip
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

HOST = "127.0.0.1"
# The files GitHub Pages compresses, as found on the site: its text. Fonts
# (woff2 is compressed already) and images go out as they are.
COMPRESSED = {".html", ".css", ".js", ".svg", ".json", ".xml", ".txt", ".map"}
GZIP_LEVEL = 6  # what web servers use by default; weight.py estimates with the same


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether a request's ``Accept-Encoding`` header allows a gzip response.

    Examples:
        >>> accepts_gzip("gzip, deflate, br, zstd")
        True
        >>> accepts_gzip("br;q=1.0, gzip;q=0")
        False
        >>> accepts_gzip("*"), accepts_gzip("identity"), accepts_gzip("")
        (True, False, False)
    """
    weights = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        name, _, value = parameters.strip().partition("=")
        try:
            quality = float(value) if name.strip().lower() == "q" else 1.0
        except ValueError:
            quality = 0.0
        weights[coding.strip().lower()] = quality
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


@functools.lru_cache(maxsize=512)
def _gzipped(path: Path, modified: int) -> bytes:
    """``path`` compressed; ``modified``, its mtime, keeps an edited file from going out stale."""
    return gzip.compress(path.read_bytes(), compresslevel=GZIP_LEVEL, mtime=0)


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args: object, base_path: str, **kwargs: object) -> None:
        self.base_path = base_path
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def send_head(self) -> BinaryIO | None:
        # The site is published under a path (/autograd-guide/), and the 404
        # page's links are absolute, so it is served under the same path here.
        if not self.path.startswith(self.base_path):
            self.send_error(404, "outside the site")
            return None
        file = Path(self.translate_path(self.path))
        if file.is_dir() and unquote(urlsplit(self.path).path).endswith("/"):
            file /= "index.html"
        if file.suffix not in COMPRESSED or not file.is_file():
            return super().send_head()  # redirects, 404s, fonts and images: as they are
        status = file.stat()
        compress = accepts_gzip(self.headers.get("Accept-Encoding", ""))
        body = _gzipped(file, status.st_mtime_ns) if compress else file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(file)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Last-Modified", formatdate(status.st_mtime, usegmt=True))
        self.end_headers()
        return io.BytesIO(body)

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path.removeprefix(self.base_path))

    def log_message(self, *args: object) -> None:
        pass  # the browser records every request; the console stays readable


@contextmanager
def serve(html: Path, base_path: str = "/") -> Iterator[str]:
    """Serve ``html`` at ``base_path`` on a free port; yield the site's root URL."""
    base_path = base_path.rstrip("/") + "/"
    handler = functools.partial(_Handler, directory=str(html), base_path=base_path)
    server = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}{base_path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
