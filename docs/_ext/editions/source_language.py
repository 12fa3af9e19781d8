"""The language the pages are written in, and whether a build is of another edition.

The English edition is built from the pages as they are, at the root of the site;
every other edition is a translation of it, built from the same pages and the
catalogs in ``docs/locales`` into a folder of its own (``language_switcher.py``).
The extensions ask :func:`is_translated_edition` which kind of build they are in.
Not an extension.
"""

from __future__ import annotations

# The language of the pages' source, and of the edition at the site's root.
DEFAULT_LANGUAGE = "en"


def is_translated_edition(language: str | None) -> bool:
    """Whether a build in ``language`` (Sphinx's ``language`` setting) is a translated edition.

    No language at all is English, as for Sphinx.
    """
    return language not in {None, "", DEFAULT_LANGUAGE}
