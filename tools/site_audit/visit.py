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
