"""Check, offline, that every internal link of the built site reaches a file and an anchor.

A broken MyST link renders as ``href="#target.md"`` and a renamed section
leaves ``page.html#old-name`` behind: neither shows in a browser until
clicked, so each ``href`` and ``src`` is resolved against the files on disk
and each ``#fragment`` against the ids of the page it points to.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

# Attributes that point at another file or place: links followed by a reader,
# and what the page loads (scripts, images, stylesheets).
_LINK_ATTRIBUTES = {"href", "src"}


@dataclass(frozen=True)
class BrokenLink:
    """A link in ``page`` (relative to the site) whose target is missing."""

    page: str
    link: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: broken link {self.link!r} ({self.reason})"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in _LINK_ATTRIBUTES:
                self.links.append(value)


@cache
def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector


def _target(html: Path, page: PurePosixPath, path: str, base_path: str) -> Path | None:
    """The file a link's path names, or None when it leaves the site."""
    if path.startswith("/"):
        # Absolute links (the 404 page's) are rooted at the site's path.
        if not path.startswith(base_path):
            return None
        relative = PurePosixPath(path.removeprefix(base_path))
    else:
        relative = page.parent / path
    parts: list[str] = []
    for part in relative.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in {".", ""}:
            parts.append(part)
    target = html.joinpath(*parts)
    return target / "index.html" if target.is_dir() else target


def check_page(html: Path, page: PurePosixPath, base_path: str = "/") -> list[BrokenLink]:
    """Return the broken internal links of ``page`` (a path relative to ``html``)."""
    broken = []
    base_path = base_path.rstrip("/") + "/"
    for link in _parse(html / page).links:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:
            continue  # another site, mailto:, data:, javascript:: not ours to check
        path, fragment = unquote(parts.path), unquote(parts.fragment)
        if path:
            target = _target(html, page, path, base_path)
            if target is None:
                broken.append(BrokenLink(str(page), link, "outside the site"))
                continue
            if not target.is_file():
                broken.append(BrokenLink(str(page), link, "no such file"))
                continue
        else:
            target = html / page
        if fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
            where = target.relative_to(html).as_posix()
            broken.append(BrokenLink(str(page), link, f"no id {fragment!r} in {where}"))
    return broken


def check_site(html: Path, pages: list[Path], base_path: str = "/") -> list[BrokenLink]:
    """Return the broken internal links of every page of the site."""
    _parse.cache_clear()  # files may have changed since the last check
    return [
        broken
        for page in pages
        for broken in check_page(html, PurePosixPath(page.as_posix()), base_path)
    ]
