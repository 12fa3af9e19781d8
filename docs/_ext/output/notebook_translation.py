"""A Markdown cell's MyST in the edition's language, from the page's gettext catalog.

A translated edition's pages are translated by Sphinx node by node: each
paragraph, heading, table cell, glossary term, title or math block of the
English page is a message of the page's catalog
(``docs/locales/<language>/LC_MESSAGES/<page>.po``), and Sphinx replaces the
node with its ``msgstr``. A notebook is made of the page's MyST, not of its
doctree, so :func:`translate_markdown` does the same to the MyST of one
Markdown cell before ``notebook_markdown`` makes it plain Markdown:

* MyST's own markdown-it parser finds the blocks whose text Sphinx makes a
  message: paragraphs and headings (also in lists, quotes and definition
  lists), table cells, math blocks; inside directives, which it reads as raw
  text, the body is read again the same way, and an admonition's or a card's
  title, a glossary's terms and a toctree's caption and titles are messages of
  their own.
* Each block's message is its text as Sphinx extracts it
  (:func:`message`: lines joined by spaces, a trailing backslash dropped), and
  its source is replaced with the translation, keeping the list markers, quote
  prefixes and indentation around it, so the structure survives.
* Code (fences, ``{literalinclude}``, code spans), targets, comments and raw
  HTML are not messages for Sphinx either and stay as written.

A block with text that the catalog does not translate (no entry, an empty
one, or a fuzzy one unless ``gettext_allow_fuzzy_translations``) raises
:class:`NotebookTranslationError` naming the text: the notebook of a
translated edition never shows English silently. Neither does a translation
that is not one paragraph, which Sphinx leaves in English too. Whatever else
goes wrong in :func:`translate_markdown` or :func:`read_catalogs` raises that
error too, naming the text or the catalog, so that the build warns naming the
page instead of stopping with a traceback.

Only public APIs of Sphinx, MyST and Babel are used. The few lines of their
behaviour that they keep private are written here (:func:`message`,
:func:`catalog_domain`, ``_parse_noqa``, ``_strip_blank_lines``), each saying
whose behaviour it mirrors; ``tests/test_notebook_translation.py`` compares
each with the private original, so a change upstream fails the tests.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po
from markdown_it.token import Token
from sphinx.application import Sphinx

from output.notebook_markdown import (
    ADMONITIONS,
    TITLED_ADMONITIONS,
    NotebookMarkdownError,
    markdown_parser,
)

# Directives whose body is code or data that Sphinx does not translate.
UNTRANSLATED_DIRECTIVES = frozenset({"literalinclude", "code-block", "code", "sourcecode"})
MATH_TOKENS = frozenset({"math_block", "math_block_label", "amsmath"})

Translate = Callable[[str], str]


class NotebookTranslationError(NotebookMarkdownError):
    """Text of a page that a translated edition's notebook would show untranslated."""


# --- Sphinx's and MyST's behaviour, mirrored -----------------------------------------
# Private upstream; tests/test_notebook_translation.py compares each with its original.


def message(text: str) -> str:
    r"""The message Sphinx extracts from a node whose source text is ``text``.

    Mirrors ``sphinx.util.nodes._clean_extracted_message`` (Sphinx 9), which
    ``extract_messages`` applies: a backslash ending a line (a hard line break)
    is dropped with the spaces and tabs around it, lines are joined by spaces
    and the ends stripped.

    Examples:
        >>> message("A paragraph\nof two lines.\\\nThird. ")
        'A paragraph of two lines. Third.'
    """
    if "\\" in text:
        lines = []
        for line in text.splitlines(keepends=True):
            head, backslash, tail = line.rpartition("\\")
            # What follows the last backslash: nothing, or blanks then the line's end.
            if backslash and (not tail or re.match(r"[ \t]*\s$", tail)):
                line = head.rstrip(" \t") + tail.lstrip(" \t")
            lines.append(line)
        text = "".join(lines)
    return text.replace("\n", " ").strip()


def catalog_domain(docname: str, compact: bool | str) -> str:
    """The catalog (gettext domain) of page ``docname`` under ``gettext_compact``.

    Mirrors ``sphinx.util.i18n.docname_to_domain`` (Sphinx 9): one catalog per
    page, one per top-level folder when ``compact`` is true, or the one named.
    """
    if isinstance(compact, str):
        return compact
    return docname.partition("/")[0] if compact else docname


def _parse_noqa(translated: str) -> str:
    """A translation without the ``#noqa`` that may end it.

    Mirrors ``sphinx.transforms.i18n.parse_noqa`` (Sphinx 9).
    """
    found = re.match(r"(.*)(?<!\\)#\s*noqa\s*$", translated, re.DOTALL)
    return translated if found is None else found.group(1)


def _strip_blank_lines(text: str) -> str:
    """``text`` without its leading and trailing blank lines, as MyST gives a math block.

    Mirrors ``myst_parser.mdit_to_docutils.base.strip_blank_lines`` (MyST-Parser 5).
    """
    lines = text.split("\n")
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


# --- Catalogs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCatalog:
    """The translated messages of one page: English message to translation."""

    #: The catalogs they were read from, first found first (for error messages).
    paths: tuple[Path, ...]
    messages: Mapping[str, str]
    #: Where catalogs were looked for (for the error message when there is none).
    searched: tuple[Path, ...] = ()

    def translate(self, text: str) -> str:
        """The translation of ``text``.

        Raises:
            NotebookTranslationError: If the catalog has no translation of it.
        """
        translated = self.messages.get(text)
        if translated is None:
            if self.paths:
                where = "in " + ", ".join(str(path) for path in self.paths)
            else:
                where = "(no catalog at " + ", ".join(str(path) for path in self.searched) + ")"
            msg = f"not translated {where}: {text[:100]!r}"
            raise NotebookTranslationError(msg)
        return translated


def read_catalogs(paths: Sequence[Path], *, allow_fuzzy: bool = False) -> PageCatalog:
    """The translated messages of the catalogs ``paths`` that exist, the first one winning.

    As Sphinx, which compiles each catalog with Babel (``write_mo``) and looks
    messages up by their text alone: a message without translation, with a
    context or translated by spaces only is left out, and so is one marked
    fuzzy unless ``allow_fuzzy`` (``gettext_allow_fuzzy_translations``).

    Raises:
        NotebookTranslationError: If a catalog cannot be read, naming it.
    """
    found = tuple(path for path in paths if path.exists())
    messages: dict[str, str] = {}
    for path in reversed(found):
        try:
            with path.open("rb") as file:
                catalog = read_po(file)
        except Exception as error:  # Sphinx warns "reading error" and leaves the page English
            msg = f"could not read the catalog {path}: {type(error).__name__}: {error}"
            raise NotebookTranslationError(msg) from error
        for entry in catalog:
            text = isinstance(entry.id, str) and entry.id and not entry.context
            translated = isinstance(entry.string, str) and entry.string.strip()
            if text and translated and (allow_fuzzy or not entry.fuzzy):
                messages[str(entry.id)] = str(entry.string)
    return PageCatalog(found, messages, tuple(paths))


def catalog_paths(app: Sphinx, docname: str) -> list[Path]:
    """Where Sphinx looks for the catalog of page ``docname`` in ``app``'s language."""
    domain = catalog_domain(docname, app.config.gettext_compact)
    return [
        Path(app.srcdir) / folder / app.config.language / "LC_MESSAGES" / f"{domain}.po"
        for folder in app.config.locale_dirs
    ]


def page_catalog(app: Sphinx, docname: str) -> PageCatalog:
    """The translated messages of page ``docname`` in ``app``'s language, as Sphinx uses them."""
    allow_fuzzy = bool(app.config.gettext_allow_fuzzy_translations)
    return read_catalogs(catalog_paths(app, docname), allow_fuzzy=allow_fuzzy)


# --- Markdown ----------------------------------------------------------------------------


class _Messages:
    """Translations of a page's messages, refused where Sphinx would show the English."""

    def __init__(self, translate: Translate, extensions: frozenset[str]) -> None:
        self._translate = translate
        self.extensions = extensions

    def text(self, text: str) -> str:
        """The translation of the text of a paragraph, heading, cell, title or term.

        Sphinx drops a trailing ``#noqa`` and parses the rest on its own: a
        translation that is not one paragraph is not used.
        """
        translated = _parse_noqa(self._translate(text))
        if not translated.strip():
            msg = f"translated by nothing but '#noqa': {text[:100]!r}"
            raise NotebookTranslationError(msg)
        if translated != text:
            kinds = [token.type for token in markdown_parser(self.extensions).parse(translated)]
            if kinds != ["paragraph_open", "inline", "paragraph_close"]:
                msg = (
                    f"the translation of {text[:60]!r} is not one paragraph of text, "
                    f"so Sphinx shows the English: {translated[:100]!r}"
                )
                raise NotebookTranslationError(msg)
        return translated

    def literal(self, text: str) -> str:
        """The translation of math, which Sphinx takes as it is."""
        return self._translate(text)


@dataclass
class _Edit:
    """Lines ``start`` to ``end`` (excluded) of a source, to be replaced by ``text``."""

    start: int
    end: int
    text: str


def translate_markdown(source: str, translate: Translate, extensions: Iterable[str]) -> str:
    r"""``source``, MyST Markdown, with every message replaced by ``translate(message)``.

    ``extensions`` are the MyST extensions the site enables (``myst_enable_extensions``).

    Raises:
        NotebookTranslationError: If ``translate`` raises it for a block's text, a
            translation is not one paragraph, a directive has no translation
            rule here, or anything else fails: then naming ``source`` and
            chained to what failed.

    Examples:
        >>> catalog = {"Title": "Titre", "One line and one more.": "Une ligne."}
        >>> source = "# Title\n\n- One line\n  and one more.\n"
        >>> translate_markdown(source, catalog.__getitem__, [])
        '# Titre\n\n- Une ligne.\n'
    """
    try:
        return _translate(source, _Messages(translate, frozenset(extensions)))
    except NotebookTranslationError:
        raise
    except Exception as error:  # a build warns naming the page, not a handler's traceback
        msg = f"could not translate {source[:100]!r}: {type(error).__name__}: {error}"
        raise NotebookTranslationError(msg) from error


def _translate(source: str, messages: _Messages) -> str:
    tokens = markdown_parser(messages.extensions).parse(source)
    lines = _lines(source)
    edits: list[_Edit | None] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.map is None:
            continue
        if token.type == "tr_open":
            cells = []
            while tokens[index].type != "tr_close":
                if tokens[index].type == "inline":
                    cells.append(tokens[index])
                index += 1
            edits.append(_row(lines, token.map[0], cells, messages))
        elif token.type == "inline":
            # A paragraph may be translated by several lines, a heading or a term may not.
            paragraph = tokens[index - 2].type == "paragraph_open"
            edits.append(_inline(lines, token, messages, paragraph=paragraph))
        elif token.type in MATH_TOKENS:
            text = token.content if token.type == "amsmath" else _strip_blank_lines(token.content)
            edits.append(_math(lines, token.map, text, messages))
        elif token.type in {"fence", "colon_fence"} and token.info.strip().startswith("{"):
            edits.append(_directive(lines, token, messages))
    for edit in reversed(edits):
        if edit is not None:
            lines[edit.start : edit.end] = [edit.text]
    return "".join(lines)


def _lines(text: str) -> list[str]:
    """``text``'s lines with their newlines, split where markdown-it splits them (not at U+2028)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _continuation(prefix: str) -> str:
    """The prefix of a block's following lines, from that of its first: ``- `` gives ``  ``."""
    return re.sub(r"[^>\s]", " ", prefix)


def _flat(text: str) -> str:
    return " ".join(line.strip() for line in text.split("\n"))


def _inline(
    lines: list[str], token: Token, messages: _Messages, *, paragraph: bool
) -> _Edit | None:
    """A paragraph's, heading's or term's text replaced, from the first of its lines."""
    assert token.map is not None
    start = token.map[0]
    content = token.content.split("\n")
    text = message(token.content)
    if not text:
        return None
    translated = messages.text(text) if paragraph else _flat(messages.text(text))
    first = lines[start].rstrip("\r\n")
    last = lines[start + len(content) - 1]
    if first.rstrip().endswith(content[0].rstrip()):
        prefix = first[: len(first.rstrip()) - len(content[0].rstrip())]
        suffix = ""
    elif len(content) == 1 and content[0] in first:  # an ATX heading closed by #s
        at = first.index(content[0])
        prefix, suffix = first[:at], first[at + len(content[0]) :]
    else:
        msg = f"could not find {content[0][:60]!r} in its line {first[:80]!r}"
        raise NotebookTranslationError(msg)
    follow = _continuation(prefix)
    body = "\n".join(
        (prefix if number == 0 else follow) + line.strip()
        for number, line in enumerate(translated.split("\n"))
    )
    # A paragraph of several lines becomes one line per line of its translation.
    return _Edit(start, start + len(content), body + suffix + _ending(last))


def _cell_spans(line: str) -> list[tuple[int, int]]:
    """Where each cell of a table row is in ``line``, between its unescaped pipes.

    The row may follow quote markers, indentation and, on a list item's first
    line, the item's marker (``- | a | b |``).
    """
    prefix = re.match(r"[>\s]*(?:(?:[-+*]|\d+[.)])[ \t]+(?=\|))?", line)
    start = prefix.end() if prefix else 0
    end = len(line.rstrip())
    pipes = [
        at
        for at in range(start, end)
        if line[at] == "|" and (len(line[start:at]) - len(line[start:at].rstrip("\\"))) % 2 == 0
    ]
    bounds = [start - 1, *pipes, end]
    spans = [(left + 1, right) for left, right in itertools.pairwise(bounds)]
    if pipes and pipes[0] == start:
        spans = spans[1:]
    if pipes and pipes[-1] == end - 1:
        spans = spans[:-1]
    return spans


def _row(lines: list[str], row: int, cells: list[Token], messages: _Messages) -> _Edit:
    """A table row with each cell's text replaced, pipes in the translation escaped."""
    line = lines[row]
    spans = _cell_spans(line.rstrip("\r\n"))
    replaced = []
    if len(spans) != len(cells):
        msg = f"could not find the {len(cells)} cells of the table row {line.strip()!r}"
        raise NotebookTranslationError(msg)
    for cell, (start, end) in zip(cells, spans, strict=True):
        text = message(cell.content)
        if text:
            translated = re.sub(r"(?<!\\)\|", r"\\|", _flat(messages.text(text)))
            replaced.append((start, end, f" {translated} "))
    for start, end, text in reversed(replaced):
        line = line[:start] + text + line[end:]
    return _Edit(row, row + 1, line)


def _math(lines: list[str], span: list[int], text: str, messages: _Messages) -> _Edit | None:
    """A math block, replaced only if its translation differs (Sphinx takes math as it is)."""
    translated = messages.literal(text)
    if translated == text:
        return None
    block = "".join(lines[span[0] : span[1]])
    if block.count(text) != 1:
        msg = f"could not place the translation of the math block {text[:60]!r}"
        raise NotebookTranslationError(msg)
    return _Edit(span[0], span[1], block.replace(text, translated))


def _split_options(body: list[str]) -> int:
    """How many of a directive's content lines are its options (a YAML block or ``:key:`` lines)."""
    if body and body[0].strip() == "---":
        for number, line in enumerate(body[1:], start=1):
            if line.strip() == "---":
                return number + 1
        return 0
    count = 0
    while count < len(body) and re.match(r"^:[\w-]+:", body[count]):
        count += 1
    return count


def _directive(lines: list[str], token: Token, messages: _Messages) -> _Edit | None:
    """A directive with its titles and body translated, its options and fences kept."""
    assert token.map is not None
    start, end = token.map
    name, _, argument = token.info.strip()[1:].partition("}")
    name, argument = name.strip(), argument.strip()
    if name in UNTRANSLATED_DIRECTIVES:
        return None
    opening = lines[start]
    # The body's lines had the text before the opening fence taken off (indentation, a
    # list item's marker, a quote's): they get it back as continuation lines.
    follow = _continuation(opening[: opening.index(token.markup)])
    content = _lines(token.content)
    closing = "".join(lines[start + 1 + len(content) : end])
    count = _split_options(content)
    options, body = content[:count], "".join(content[count:])

    if name in ADMONITIONS and name not in TITLED_ADMONITIONS and argument:
        # No title: MyST reads the text after the name as the body's first line.
        body, opening = f"{argument}\n{body}", _replace_end(opening, argument, "")
        argument = ""
    if argument and name in TITLED_ADMONITIONS | {"grid-item-card"}:
        opening = _replace_end(opening, argument, _flat(messages.text(message(argument))))
    if name in ADMONITIONS or name in {"grid", "grid-item", "grid-item-card"}:
        body = _translate(body, messages)
    elif name == "glossary":
        body = _glossary(body, messages)
    elif name == "toctree":
        options, body = _toctree(options, body, messages)
    elif name == "math":
        body = _math_directive(argument, body, messages)
    else:
        msg = f"the directive {{{name}}} has no translation rule"
        raise NotebookTranslationError(msg)
    inner = "".join(options) + body
    if inner and not inner.endswith("\n"):
        inner += "\n"
    indented = "".join(
        follow + line if line.strip() else follow.rstrip() + _ending(line) for line in _lines(inner)
    )
    return _Edit(start, end, opening + indented + closing)


def _replace_end(line: str, old: str, new: str) -> str:
    """``line`` with ``old``, which ends it, replaced by ``new``."""
    text = line.rstrip()
    if not text.endswith(old):
        msg = f"could not find {old!r} at the end of {text!r}"
        raise NotebookTranslationError(msg)
    return (text[: len(text) - len(old)] + new).rstrip() + _ending(line)


def _math_directive(argument: str, body: str, messages: _Messages) -> str:
    """A ``{math}`` directive's body, translated as Sphinx's math directive makes its message."""
    latex = _strip_blank_lines(body.rstrip("\n"))
    if argument:
        latex = f"{argument}\n\n{latex}" if latex else argument
    translated = messages.literal(latex)
    if translated == latex:
        return body
    if argument:
        msg = f"could not place the translation of the math directive {latex[:60]!r}"
        raise NotebookTranslationError(msg)
    return translated + "\n"


def _toctree(options: list[str], body: str, messages: _Messages) -> tuple[list[str], str]:
    """A toctree's caption and the titles its entries give themselves translated."""
    translated_options = []
    for line in options:
        caption = re.match(r"(\s*:caption:\s*)(\S.*?)\s*$", line)
        if caption is not None:
            title = _flat(messages.text(message(caption.group(2))))
            line = caption.group(1) + title + _ending(line)
        translated_options.append(line)
    entries = []
    for line in _lines(body):
        # Sphinx's explicit_title_re: "title <target>".
        entry = re.match(r"(\s*)(.+?)\s*(<[^<]*?>)\s*$", line)
        if entry is not None:
            title = _flat(messages.text(message(entry.group(2))))
            line = f"{entry.group(1)}{title} {entry.group(3)}{_ending(line)}"
        entries.append(line)
    return translated_options, "".join(entries)


def _glossary(body: str, messages: _Messages) -> str:
    """A glossary's terms and definitions translated, read as Sphinx's glossary reads them.

    A line without indentation is a term (``.. `` starts a comment), and the
    indented lines after terms are their definition: MyST, dedented by the
    indentation of its first line.
    """
    out: list[str] = []
    definition: list[str] = []
    indent = 0

    def flush() -> None:
        if definition:
            dedented = "".join(line[indent:] if line.strip() else line for line in definition)
            translated = _translate(dedented, messages)
            out.extend(" " * indent + line if line.strip() else line for line in _lines(translated))
            definition.clear()

    for line in _lines(body):
        if line.strip() and not line[0].isspace():
            flush()
            if not line.startswith(".. "):
                line = _flat(messages.text(message(line))) + _ending(line)
            out.append(line)
        elif line.strip() and not definition:
            indent = len(line) - len(line.lstrip())
            definition.append(line)
        elif definition:
            definition.append(line)
        else:
            out.append(line)
    flush()
    return "".join(out)
