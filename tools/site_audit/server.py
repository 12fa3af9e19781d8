"""Serve the built site on 127.0.0.1 from a thread, for the browser to load."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

HOST = "127.0.0.1"


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
        return super().send_head()

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
