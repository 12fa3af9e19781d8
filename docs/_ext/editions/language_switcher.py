"""One site, several languages: each page links to the same page in the other editions.

The English edition is built at the root of the site and every other edition
into a folder named after its language (``zh_CN/``), from the same pages and
the gettext catalogs in ``docs/locales``. A menu in the page header, next to
the download and launch menus, leads to the same page in each other language,
and ``<link rel="alternate" hreflang>`` tags tell search engines the same.
Sphinx itself sets ``<html lang>`` from the ``language`` setting.
"""

from __future__ import annotations

import html
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

from editions.interface_language import translate
from editions.source_language import DEFAULT_LANGUAGE, is_translated_edition


def edition_folder(language: str) -> str:
    """The folder of an edition, relative to the site's root ('' for the default language)."""
    return f"{language}/" if is_translated_edition(language) else ""


def page_url(from_language: str, pagename: str, to_language: str, suffix: str = ".html") -> str:
    """The relative address of ``pagename`` in ``to_language``, seen from the same page in ``from_language``."""
    depth = pagename.count("/") + edition_folder(from_language).count("/")
    return "../" * depth + edition_folder(to_language) + pagename + suffix


def _hreflang(language: str) -> str:
    return language.replace("_", "-")


def _adapt_to_edition(app: Sphinx, config: Config) -> None:
    languages = config.site_languages
    if DEFAULT_LANGUAGE not in languages or config.language not in languages:
        msg = f"language {config.language!r} is not one of site_languages {sorted(languages)}"
        raise ConfigError(msg)
    if is_translated_edition(config.language):
        # This edition lives in a folder of the site, and so do its addresses.
        folder = edition_folder(config.language)
        config.html_baseurl = config.html_baseurl.rstrip("/") + "/" + folder
        if hasattr(config, "notfound_urls_prefix"):
            config.notfound_urls_prefix = config.notfound_urls_prefix.rstrip("/") + "/" + folder
        if getattr(config, "ogp_site_url", ""):
            config.ogp_site_url = config.ogp_site_url.rstrip("/") + "/" + folder


def _add_language_menu(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is None:  # search, index and other generated pages exist in each edition anyway
        return
    current = app.config.language
    others = {code: name for code, name in app.config.site_languages.items() if code != current}
    base = app.config.html_baseurl.rstrip("/") + "/"
    site_root = base.removesuffix(edition_folder(current))
    alternates = [
        f'<link rel="alternate" hreflang="{_hreflang(code)}" '
        f'href="{html.escape(site_root + edition_folder(code) + pagename + ".html")}" />'
        for code in app.config.site_languages
    ]
    context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(alternates)
    if "header_buttons" not in context:
        return
    context["header_buttons"].append(
        {
            "type": "group",
            "tooltip": str(translate("Read this page in another language")),
            "icon": "fas fa-language",
            "label": "language-buttons",
            "buttons": [
                {
                    "type": "link",
                    "text": name,
                    "tooltip": name,
                    "url": page_url(current, pagename, code),
                    "label": f"language-{code}-button",
                }
                for code, name in others.items()
            ],
        }
    )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the language menu with Sphinx."""
    app.add_config_value("site_languages", {DEFAULT_LANGUAGE: "English"}, "html", types=[dict])
    app.connect("config-inited", _adapt_to_edition, priority=900)  # after conf.py's values
    app.connect("html-page-context", _add_language_menu, priority=503)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
