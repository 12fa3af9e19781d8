"""A page's MyST Markdown as plain Jupyter Markdown, for the notebooks readers download.

Jupyter and Colab render CommonMark with dollar math, nothing more: a MyST role
(``{ref}`notation```), a ``(label)=`` target or a ``:::{grid}`` block shows as raw
text there. :func:`plain_markdown` rewrites one Markdown cell so that a notebook
renders it:

* ``(label)=`` targets and ``%`` comments disappear;
* ``{ref}``, ``{doc}`` and ``{term}`` become links to the hosted site's page and
  anchor, ``{py:func}`` and the other Python roles links to the Python, PyTorch or
  site documentation (``~`` shows the last name only), plain code when no
  inventory holds the name; ``{math}`` becomes dollar math;
* directives become Markdown: an admonition a blockquote with a bold title (its
  own, MyST as on the page, or its kind's label in the edition's language), a grid
  of cards and a toctree a list of links, a glossary a list of bold terms,
  ``{literalinclude}`` the included code as a fenced block.

The Markdown is read with MyST's own markdown-it parser, so a role inside a code
span or a directive inside a fence of four backticks is what MyST says it is;
only the parts it finds are rewritten, and the rest of the cell stays as written.
A role, target or directive that cannot be converted raises
:class:`NotebookMarkdownError` naming it: a notebook must not show it raw.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from sphinx.application import Sphinx
from sphinx.directives.code import LiteralIncludeReader
from sphinx.ext.intersphinx import InventoryAdapter
from sphinx.locale import admonitionlabels

PYTHON_ROLES = frozenset({"func", "class", "mod", "meth", "attr", "exc", "data", "obj"})
# Sphinx shows a function's or a method's name with parentheses (add_function_parentheses).
CALLABLE_ROLES = frozenset({"func", "meth"})
ADMONITIONS = frozenset(
    {
        "admonition",
        "attention",
        "caution",
        "danger",
        "dropdown",
        "error",
        "hint",
        "important",
        "note",
        "seealso",
        "tip",
        "warning",
    }
)
# The admonitions whose first line is their title; the others, which have a title of their
# own ("Note", in the edition's language), read it as the first line of their body.
TITLED_ADMONITIONS = frozenset({"admonition", "dropdown"})
# The options of literalinclude that choose which text it shows.
_INCLUDE_OPTIONS = frozenset(
    {"pyobject", "lines", "dedent", "start-after", "end-before", "start-at", "end-at"}
    | {"prepend", "append", "encoding", "tab-width"}
)
# Sphinx's explicit_title_re: "title <target>".
_EXPLICIT_TITLE = re.compile(r"^(.+?)\s*(?<!\x00)<([^<]*?)>$", re.DOTALL)


class NotebookMarkdownError(ValueError):
    """A role, label or directive that a notebook could not show as MyST meant it."""


@dataclass(frozen=True)
class Link:
    """Where a cross-reference leads and the text it shows when it has no title of its own."""

    url: str
    title: str


class Resolver(Protocol):
    """What the conversion asks the site about the names a cell refers to."""

    #: The MyST extensions the site enables (``myst_enable_extensions``): the syntax a cell may use.
    extensions: frozenset[str]

    def label(self, name: str) -> Link:
        """The section labelled ``name``; raises :class:`NotebookMarkdownError` if none."""

    def page(self, docname: str) -> Link:
        """The page ``docname`` (relative to the cell's page, or absolute with ``/``)."""

    def term(self, name: str) -> Link:
        """The glossary entry of ``name``; raises :class:`NotebookMarkdownError` if none."""

    def python(self, role: str, name: str) -> str | None:
        """The address documenting the Python object ``name`` for ``role``, if any."""

    def include(self, path: str, options: Mapping[str, str | None]) -> str:
        """The text a ``{literalinclude}`` of ``path`` with ``options`` shows."""


def escape(text: str) -> str:
    """Escape the characters that would make ``text`` Markdown instead of a link's words."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


@cache
def markdown_parser(extensions: frozenset[str]) -> MarkdownIt:
    """MyST's own markdown-it parser, with the MyST ``extensions`` a site enables."""
    config = MdParserConfig(enable_extensions=set(extensions))
    return create_md_parser(config, RendererHTML)


def split_title(content: str) -> tuple[str | None, str]:
    """``title <target>`` as ``(title, target)``; ``(None, content)`` without a title."""
    match = _EXPLICIT_TITLE.match(content)
    if match is None:
        return None, content.strip()
    return match.group(1).strip(), match.group(2).strip()


def convert_role(name: str, content: str, resolver: Resolver) -> str:
    """The Markdown that shows ``{name}`content``` in a notebook.

    Raises:
        NotebookMarkdownError: If the role is unknown or its target is missing.
    """
    role = name.removeprefix("py:")
    if name == "math":
        return f"${content}$"
    if role in PYTHON_ROLES:
        return _python_link(role, content, resolver)
    title, target = split_title(content)
    if name in {"ref", "term", "doc"}:
        lookup = {"ref": resolver.label, "term": resolver.term, "doc": resolver.page}[name]
        link = lookup(target)
        return f"[{escape(title or link.title)}]({link.url})"
    msg = f"the role {{{name}}}`{content}` has no notebook form"
    raise NotebookMarkdownError(msg)


def _python_link(role: str, content: str, resolver: Resolver) -> str:
    title, target = split_title(content)
    linked = not target.startswith("!")
    target = target.lstrip("!")
    shown = target.lstrip("~.")
    if title is None:
        if target.startswith("~"):
            shown = shown.rpartition(".")[2]
        shown = f"`{shown}()`" if role in CALLABLE_ROLES else f"`{shown}`"
    else:
        shown = escape(title)
    url = resolver.python(role, target.lstrip("~.")) if linked else None
    return f"[{shown}]({url})" if url else shown


@dataclass(frozen=True)
class _Directive:
    name: str
    argument: str
    options: dict[str, str | None]
    body: str


def _directive(token: Token) -> _Directive:
    name, _, argument = token.info.strip()[1:].partition("}")
    lines = token.content.splitlines()
    options: dict[str, str | None] = {}
    if lines and lines[0].strip() == "---":  # options as a YAML block
        end = lines.index("---", 1)
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip() or None
        lines = lines[end + 1 :]
    else:
        while lines and re.match(r"^:[\w-]+:", lines[0]):
            key, _, value = lines.pop(0)[1:].partition(":")
            options[key] = value.strip() or None
    name, argument = name.strip(), argument.strip()
    if name in ADMONITIONS and name not in TITLED_ADMONITIONS and argument:
        # No title: MyST reads the text after the name as the body's first line.
        lines, argument = [argument, *lines], ""
    return _Directive(name, argument, options, "\n".join(lines).strip("\n"))


def _fenced(text: str, language: str) -> str:
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max([3, *(run + 1 for run in runs)])
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"


def _quote(text: str) -> str:
    return "".join(f"> {line}".rstrip() + "\n" for line in text.splitlines())


def _indent(text: str, prefix: str) -> str:
    return "".join(f"{prefix}{line}".rstrip() + "\n" for line in text.splitlines())


def convert_directive(token: Token, resolver: Resolver) -> str:
    """The Markdown that shows the directive of a fence or colon fence ``token``.

    Raises:
        NotebookMarkdownError: If the directive has no notebook form.
    """
    directive = _directive(token)
    name = directive.name
    body = plain_markdown(directive.body, resolver).strip("\n") if directive.body else ""
    if name in ADMONITIONS:
        label = str(admonitionlabels.get(name, name.capitalize()))
        title = _title(directive.argument, resolver) if directive.argument else escape(label)
        return _quote(f"**{title}**\n\n{body}" if body else f"**{title}**")
    if name in {"grid", "grid-item"}:
        return body + "\n"
    if name == "grid-item-card":
        return _card(directive, body, resolver)
    if name == "toctree":
        return _toctree(directive, resolver)
    if name == "glossary":
        return _glossary(directive.body, resolver)
    if name == "literalinclude":
        language = directive.options.get("language") or ""
        return _fenced(resolver.include(directive.argument, directive.options), language)
    if name in {"code-block", "code", "sourcecode"}:
        return _fenced(directive.body, directive.argument)
    if name == "math":
        return f"$$\n{directive.body.strip()}\n$$\n"
    msg = f"the directive {{{name}}} has no notebook form"
    raise NotebookMarkdownError(msg)


def _title(text: str, resolver: Resolver) -> str:
    """An admonition's or a card's title, inline MyST as on the page, with its roles converted."""
    return _convert(text, resolver).strip()


def _card(directive: _Directive, body: str, resolver: Resolver) -> str:
    title = f"**{_title(directive.argument, resolver)}**" if directive.argument else ""
    target = directive.options.get("link")
    if target:
        kind = directive.options.get("link-type") or "url"
        links: dict[str, Callable[[str], Link]] = {"ref": resolver.label, "doc": resolver.page}
        url = links[kind](target).url if kind in links else target
        title = f"[{title or escape(target)}]({url})"
    text = f"{title}: {body}" if title and body else title or body
    return _indent(text, "  ").replace("  ", "- ", 1)


def _toctree(directive: _Directive, resolver: Resolver) -> str:
    if "hidden" in directive.options:  # the page shows no list: neither does the notebook
        return ""
    items = []
    for line in directive.body.splitlines():
        if line.strip():
            title, target = split_title(line.strip())
            link = resolver.page(target)
            items.append(f"- [{escape(title or link.title)}]({link.url})\n")
    caption = directive.options.get("caption")
    return (f"**{escape(caption)}**\n\n" if caption else "") + "".join(items)


def _glossary(body: str, resolver: Resolver) -> str:
    entries = []
    for entry in re.split(r"\n\s*\n(?=\S)", body.strip("\n")):
        lines = entry.splitlines()
        terms = [line for line in lines if line and not line[0].isspace()]
        definition = "\n".join(line.strip() for line in lines[len(terms) :])
        text = ", ".join(f"**{escape(term.strip())}**" for term in terms)
        if definition:
            text += "  \n" + plain_markdown(definition, resolver).strip("\n")
        entries.append(_indent(text, "  ").replace("  ", "- ", 1))
    return "\n".join(entries)


def _convert_inline(
    text: str, children: list[Token], resolver: Resolver, cursor: int
) -> tuple[str, int]:
    """Replace each role of ``children`` in ``text`` after ``cursor``; the new text and cursor.

    ``text`` is the source ``children`` were parsed from: code spans and math are
    stepped over, so that a role written inside one stays as it is.
    """
    for child in children:
        if child.type in {"code_inline", "math_inline"}:
            found = text.find(child.content, cursor)
            cursor = found + len(child.content) if found >= 0 else cursor
        elif child.type == "myst_role":
            name = child.meta["name"]
            start = text.find(f"{{{name}}}`", cursor)
            ticks = re.match(r"`+", text[start + len(name) + 2 :])
            if start < 0 or ticks is None:
                msg = f"could not find the role {{{name}}} in {text!r}"
                raise NotebookMarkdownError(msg)
            opening = start + len(name) + 2 + len(ticks.group())
            end = text.index(ticks.group(), opening) + len(ticks.group())
            replacement = convert_role(name, child.content, resolver)
            text = text[:start] + replacement + text[end:]
            cursor = start + len(replacement)
    return text, cursor


def _block_end(tokens: list[Token], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return len(tokens) - 1


def myst_left_in(markdown: str) -> list[str]:
    """The kinds of MyST syntax that a CommonMark renderer would show raw in ``markdown``.

    CommonMark reads a role as the text ``{name}`` followed by a code span, a
    target as a paragraph ``(label)=``, a directive as a fence whose language
    is ``{name}`` or as a paragraph starting ``:::{``; text inside code spans
    and fences that are not directives is what the reader should see.

    Examples:
        >>> myst_left_in("See {ref}`x`, then :::{note} and `{ref}` in code.")
        ['colon fence', 'role']
        >>> myst_left_in("A [link](https://example.org) and $x^2$.")
        []
    """
    kinds = set()
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "fence" and token.info.strip().startswith("{"):
            kinds.add("directive fence")
        children = token.children or []
        for index, child in enumerate(children):
            if child.type != "text":
                continue
            following = children[index + 1].type if index + 1 < len(children) else None
            if re.search(r"\{[\w:.-]+\}$", child.content) and following == "code_inline":
                kinds.add("role")
            if index == 0 and re.match(r"\([\w.:-]+\)=", child.content):
                kinds.add("target")
            if ":::{" in child.content:
                kinds.add("colon fence")
    return sorted(kinds)


def plain_markdown(source: str, resolver: Resolver) -> str:
    """``source``, MyST Markdown, as Markdown that Jupyter and Colab render.

    Raises:
        NotebookMarkdownError: If a role, label or directive cannot be converted,
            or MyST syntax is left after the conversion (a directive inside a
            list item, say), which a notebook would show raw.
    """
    converted = _convert(source, resolver)
    left = myst_left_in(converted)
    if left:
        raise NotebookMarkdownError(
            f"MyST syntax ({', '.join(left)}) left after the conversion in: {converted[:200]!r}"
        )
    return converted


def _convert(source: str, resolver: Resolver) -> str:
    """Rewrite the roles, targets and directives that MyST's parser finds in ``source``."""
    tokens = markdown_parser(resolver.extensions).parse(source)
    lines = source.splitlines(keepends=True)
    parts: list[str] = []
    line = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        block_tokens = tokens[index : _block_end(tokens, index) + 1]
        index += len(block_tokens)
        if token.map is None:
            continue
        start, end = token.map
        parts.append("".join(lines[line:start]))
        line = end
        block = "".join(lines[start:end])
        if token.type in {"myst_target", "myst_line_comment"}:
            continue
        if token.type in {"fence", "colon_fence"} and token.info.strip().startswith("{"):
            parts.append(convert_directive(token, resolver))
            continue
        cursor = 0
        for inner in block_tokens:
            if inner.type == "inline" and inner.children:
                block, cursor = _convert_inline(block, inner.children, resolver, cursor)
        parts.append(block)
    parts.append("".join(lines[line:]))
    return "".join(parts)


class SiteResolver:
    """Resolves a page's names as the built site does, to addresses on the hosted site.

    Labels and glossary terms come from Sphinx's standard domain, Python names
    from the site's own API reference or from the intersphinx inventories the
    build loaded (offline, ``docs/_inventories``). Pages are addressed under
    ``html_baseurl``, the site's published address.
    """

    def __init__(self, app: Sphinx, docname: str) -> None:
        """Resolve names for the cells of page ``docname`` of ``app``'s build."""
        self.app = app
        self.env = app.env
        self.docname = docname
        self.base: str = str(app.config.html_baseurl).rstrip("/") + "/"
        self.extensions = frozenset(app.config.myst_enable_extensions)

    def _url(self, docname: str, anchor: str = "") -> str:
        uri: str = self.app.builder.get_target_uri(docname)
        return self.base + uri + (f"#{anchor}" if anchor else "")

    def label(self, name: str) -> Link:
        """The section or target labelled ``name`` (``(name)=`` in a page)."""
        std = self.env.domaindata["std"]
        if name.lower() in std["labels"]:
            docname, anchor, title = std["labels"][name.lower()]
            return Link(self._url(docname, anchor), title or name)
        if name.lower() in std["anonlabels"]:
            docname, anchor = std["anonlabels"][name.lower()]
            return Link(self._url(docname, anchor), name)
        msg = f"the label {name!r} is not defined on any page"
        raise NotebookMarkdownError(msg)

    def page(self, docname: str) -> Link:
        """The page ``docname``, relative to the current page's folder or absolute."""
        if docname.startswith("/"):
            target = docname.lstrip("/")
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), docname))
        if target not in self.env.all_docs:
            msg = f"the page {docname!r} does not exist"
            raise NotebookMarkdownError(msg)
        title = self.env.titles[target].astext() if target in self.env.titles else target
        return Link(self._url(target), title)

    def term(self, name: str) -> Link:
        """The glossary entry ``name``, matched as Sphinx does, case-insensitively last."""
        objects = self.env.domaindata["std"]["objects"]
        entry = objects.get(("term", name))
        if entry is None:
            folded = {key[1].lower(): value for key, value in objects.items() if key[0] == "term"}
            entry = folded.get(name.lower())
        if entry is None:
            msg = f"the term {name!r} is not in the glossary"
            raise NotebookMarkdownError(msg)
        docname, anchor = entry
        return Link(self._url(docname, anchor), name)

    def python(self, role: str, name: str) -> str | None:
        """The site's API reference for ``name``, or else the inventories' address."""
        domain = self.env.get_domain("py")
        objtypes = domain.objtypes_for_role(role) or []
        local = self.env.domaindata["py"]["objects"].get(name)
        if local is not None:
            return self._url(local.docname, local.node_id)
        inventory = InventoryAdapter(self.env).main_inventory
        # The role's own object types first, then any Python type: Sphinx is as lenient.
        kinds = [f"py:{kind}" for kind in objtypes]
        kinds += sorted(kind for kind in inventory if kind.startswith("py:"))
        for kind in kinds:
            item = inventory.get(kind, {}).get(name)
            if item is not None:
                return str(item.uri)
        return None

    def include(self, path: str, options: Mapping[str, str | None]) -> str:
        """The text Sphinx's ``literalinclude`` shows for ``path`` with ``options``."""
        _, filename = self.env.relfn2path(path, self.docname)
        read: dict[str, Any] = {
            key: value for key, value in options.items() if key in _INCLUDE_OPTIONS
        }
        if "dedent" in read and read["dedent"] is not None:
            read["dedent"] = int(read["dedent"])
        text, _ = LiteralIncludeReader(filename, read, self.app.config).read()
        return text
