"""What the browser recorded on one page at one viewport."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Visit:
    """What happened when one page was opened at one viewport."""

    page: str
    viewport: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # True when axe checked the contrast of the page's chrome only: its article
    # looked as at the viewport that checked it in full.
    contrast_outside_article: bool = False

    @property
    def screenshot_name(self) -> str:
        """The file name of the visit's screenshot: ``<page>.<viewport>.png``, folders as ``--``.

        Examples:
            >>> Visit("math/notation.html", "mobile").screenshot_name
            'math--notation.html.mobile.png'
        """
        return f"{self.page.replace('/', '--')}.{self.viewport}.png"

    def found_something(self) -> bool:
        """Whether the browser saw anything that fails the page.

        That is a request to another host or one that failed, a console error,
        an axe violation, a skipped heading level or an image without alt text.

        Examples:
            >>> Visit("index.html", "mobile", requests=["index.html"]).found_something()
            False
            >>> Visit("index.html", "mobile", console_errors=["boom"]).found_something()
            True
        """
        return any(getattr(self, name) for name in _FINDINGS)


# The fields of a visit that hold findings: report.PageReport.failures makes a line of each item.
_FINDINGS = ("blocked", "failed", "console_errors", "axe", "headings", "images_without_alt")
