"""Tell requests to the local server from requests to any other host."""

from __future__ import annotations

from urllib.parse import urlsplit

# Addresses the browser resolves without any host: inline data and blobs made
# by the page's own scripts.
_HOSTLESS_SCHEMES = {"data", "blob", "about"}


def is_local(url: str, server: str = "127.0.0.1") -> bool:
    """Whether loading ``url`` stays on ``server`` (the audit's own HTTP server)."""
    parts = urlsplit(url)
    if parts.scheme in _HOSTLESS_SCHEMES:
        return True
    return parts.scheme in {"http", "https"} and parts.hostname == server
