"""The words around the pages in the edition's language, and a check that none is left in English.

The pages are translated by their catalogs in ``docs/locales/<lang>/LC_MESSAGES``.
The interface around them (buttons, tooltips, toggles, landmarks) comes from
three other places, and all three are translated here from one catalog per
language, ``docs/locales/<lang>/interface.po``:

- strings the themes pass through gettext but have no translation for in this
  language (pydata-sphinx-theme's Chinese catalog is empty, sphinx-book-theme's
  lacks "Suggest edit"): the catalog is registered for their domains, as a
  fallback to their own;
- strings the guide's extensions write (hidden-cell toggles, the launch and
  language menus, sidebar toggles, the 404 page): they call :func:`translate`,
  and the guide's templates (``docs/_templates``) the same as ``interface()``;
- strings the themes write in English without gettext (``aria-label="Main"``):
  :data:`HARD_CODED` lists each with the template that writes it, and they are
  translated in the written HTML. ``tests/test_interface_language.py`` fails when
  a theme template no longer writes one of them.

In an edition other than English, the build then reads every page it wrote
and warns, naming the page, about Latin-script text that a reader sees outside
the article (and in the toggles of hidden cells), so that ``-W`` fails on
interface text nobody translated.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.locale import get_translation
from sphinx.util import logging

from editions.source_language import is_translated_edition

logger = logging.getLogger(__name__)

DOMAIN = "autograd_guide"
# The themes' gettext domains that the interface catalog completes.
THEME_DOMAINS = ("sphinx", "booktheme")
translate = get_translation(DOMAIN)

# Theme markup written in English without gettext: (template, English markup, msgid).
# The markup is replaced with the msgid's translation put in the same place.
HARD_CODED = (
    (
        "sphinx_book_theme/components/toggle-primary-sidebar.html",
        'title="Toggle primary sidebar"',
        "Toggle primary sidebar",
    ),
    (
        "sphinx_book_theme/components/toggle-secondary-sidebar.html",
        'title="Toggle secondary sidebar"',
        "Toggle secondary sidebar",
    ),
    ("sphinx_book_theme/components/sbt-sidebar-nav.html", 'aria-label="Main"', "Main"),
    ("sphinx_book_theme/layout.html", 'aria-label="Page"', "Page"),
)

# Latin-script words a reader of any edition may see in the interface: names.
NAMES = frozenset({"Autograd", "Binder", "Colab", "Ctrl", "English", "PyTorch", "ipynb", "pdf"})
_WORD = re.compile(r"[A-Za-z]{3,}")
# Elements whose text is code, math or a page's content rather than interface.
_SKIPPED = frozenset({"script", "style", "pre", "code", "kbd", "math", "svg", "template"})
_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


def catalog_path(confdir: str | Path, language: str) -> Path:
    """Where the interface catalog of ``language`` lives."""
    return Path(confdir) / "locales" / language / "interface.po"


def _compile(app: Sphinx) -> None:
    """Compile the interface catalog into every domain it serves and register it."""
    source = catalog_path(app.confdir, app.config.language)
    if not source.exists():
        return
    with source.open("rb") as file:
        catalog = read_po(file, locale=app.config.language)
    folder = Path(app.doctreedir) / "interface-catalogs"
    messages = folder / app.config.language / "LC_MESSAGES"
    messages.mkdir(parents=True, exist_ok=True)
    for domain in (DOMAIN, *THEME_DOMAINS):
        with (messages / f"{domain}.mo").open("wb") as file:
            write_mo(file, catalog)
        app.add_message_catalog(domain, str(folder))


def _translate_config(app: Sphinx, config: Config) -> None:
    # A changed catalog changes this value, so Sphinx writes every page again.
    source = catalog_path(app.confdir, config.language)
    config.interface_catalog = (
        hashlib.sha256(source.read_bytes()).hexdigest() if source.exists() else ""
    )
    # The site's name and the 404 page, which conf.py writes in English.
    # gettext's "" is the catalog's header, not an empty text.
    if config.html_title:
        config.html_title = str(translate(config.html_title))
        # Link previews name the site as its pages do (sphinxext-opengraph).
        if hasattr(config, "ogp_site_name"):
            config.ogp_site_name = config.html_title
    if config.copyright:
        config.copyright = str(translate(config.copyright))
    title = str(translate("Page not found"))
    body = str(translate("Sorry, there is no page at this address."))
    config.notfound_context = {
        "title": title,
        "body": f"<h1>{title}</h1>\n\n<p>{body}</p>",
    }


_VOID = frozenset(
    {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


class _InterfaceText(HTMLParser):
    """Collect the text and labelling attributes a reader meets outside the article."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # For each open element: (tag, inside the article, inside a toggle, skipped).
        self.stack: list[tuple[str, bool, bool, bool]] = [("", False, False, False)]
        self.found: list[str] = []

    def _in_interface(self) -> bool:
        _, article, toggle, skipped = self.stack[-1]
        return not skipped and (not article or toggle)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _, article, toggle, skipped = self.stack[-1]
        classes = (dict(attrs).get("class") or "").split()
        state = (
            tag,
            article or tag == "article",
            toggle or tag == "summary",
            skipped or tag in _SKIPPED or "math" in classes or "cell_output" in classes,
        )
        if tag not in _VOID:
            self.stack.append(state)
        if not state[3] and (not state[1] or state[2]) and tag not in {"meta", "link"}:
            self.found += [value for name, value in attrs if name in _ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if any(open_tag == tag for open_tag, *_ in self.stack[1:]):
            while self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in_interface() and data.strip():
            self.found.append(data.strip())


def _is_english(text: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", text):
        return False
    for token in text.split():
        # A Python or file name (autograd_guide, torch.func) is code, not prose.
        if re.fullmatch(r"[A-Za-z_]\w*(?:[./]\w+)+|[a-z]+_\w+", token.strip(",;:()")):
            continue
        if any(word not in NAMES for word in _WORD.findall(token)):
            return True
    return False


def english_interface_text(html: str) -> list[str]:
    """Latin-script interface text of ``html`` other than names (see :data:`NAMES`) and code."""
    parser = _InterfaceText()
    parser.feed(html)
    return [text for text in dict.fromkeys(parser.found) if _is_english(text)]


def _pages_written(app: Sphinx) -> Iterator[Path]:
    outdir = Path(app.outdir)
    for pagename in getattr(app.env, "autograd_guide_written", ()):
        path = outdir / app.builder.get_target_uri(pagename)
        if path.suffix == ".html" and path.exists():
            yield path


def _remember_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if not hasattr(app.env, "autograd_guide_written"):
        app.env.autograd_guide_written = set()  # type: ignore[attr-defined]
    app.env.autograd_guide_written.add(pagename)  # type: ignore[attr-defined]


def _offer_to_templates(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # docs/_templates write their words as {{ interface("...") }}: from this
    # catalog, where _() would put them in a catalog of templates of their own.
    context["interface"] = translate


def _finish(app: Sphinx, exception: Exception | None) -> None:
    if (
        exception is not None
        or app.builder.format != "html"
        or not is_translated_edition(app.config.language)
    ):
        return
    replacements = [
        (markup, markup.split("=", 1)[0] + '="' + translate(msgid) + '"')
        for _, markup, msgid in HARD_CODED
    ]
    for path in sorted(_pages_written(app)):
        html = path.read_text(encoding="utf-8")
        for english, translated in replacements:
            html = html.replace(english, translated)
        path.write_text(html, encoding="utf-8")
        left = english_interface_text(html)
        if left:
            logger.warning(
                "text in English around a %s page: %s (a heading or title: translate it "
                "in the page's catalog; a button or label: in %s)",
                app.config.language,
                "; ".join(repr(text[:60]) for text in left[:8]),
                catalog_path("docs", app.config.language),
                location=str(path.relative_to(app.outdir).with_suffix("")),
                type="autograd_guide",
                subtype="interface_language",
            )
    app.env.autograd_guide_written = set()  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the interface catalog, translate the configured texts, check the written pages."""
    _compile(app)
    app.add_config_value("interface_catalog", "", "html", types=[str])
    app.connect("config-inited", _translate_config, priority=800)
    app.connect("html-page-context", _remember_page)
    app.connect("html-page-context", _offer_to_templates)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
