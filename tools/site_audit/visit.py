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
    htmlcs: list[str] = field(default_factory=list)  # HTML_CodeSniffer's WCAG 2 AA errors
    search: list[str] = field(default_factory=list)  # a search page's search that failed
    headings: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # True when axe checked the contrast of the page's chrome only: its article
    # looked as at the viewport that checked it in full.
    contrast_outside_article: bool = False
    # The full-length screenshot saved of this visit, if one was.
    screenshot: Path | None = None

    @property
    def screenshot_name(self) -> str:
        """The file name of the visit's screenshot: ``<page>.<viewport>.png``, folders as ``--``.

        Examples:
            >>> Visit("math/notation.html", "mobile").screenshot_name
            'math--notation.html.mobile.png'
        """
        return f"{self.page.replace('/', '--')}.{self.viewport}.png"

    def findings(self) -> list[str]:
        """One line per thing the browser saw that fails the page, each naming page and viewport.

        That is a request to another host or one that failed, a console error,
        an axe violation, an error of HTML_CodeSniffer, a skipped heading level,
        an image without alt text, or a search that found nothing.

        Examples:
            >>> Visit("index.html", "mobile", requests=["index.html"]).findings()
            []
            >>> Visit("index.html", "mobile", console_errors=["boom"]).findings()
            ['index.html [mobile]: console error: boom']
        """
        where = f"{self.page} [{self.viewport}]"
        lines = [f"{where}: requested {url} from another host" for url in self.blocked]
        lines += [f"{where}: console error: {text}" for text in self.console_errors]
        lines += [f"{where}: could not load {failed}" for failed in self.failed]
        lines += [f"{where}: axe: {violation}" for violation in self.axe]
        lines += [f"{where}: HTML_CodeSniffer: {error}" for error in self.htmlcs]
        lines += [f"{where}: heading skips a level: {text}" for text in self.headings]
        lines += [f"{where}: image without alt text: {src}" for src in self.images_without_alt]
        lines += [f"{where}: search: {problem}" for problem in self.search]
        return lines
