"""Open every page in headless Chromium and record what a reader's browser would see.

For each page and viewport: every request (anything not on the local server
is blocked and recorded), console errors and uncaught exceptions, local
files that failed to load, axe-core's accessibility violations (all rules
that are not experimental, best practices included), HTML_CodeSniffer's
errors against WCAG 2 AA (the engine pa11y runs: a second opinion), headings
that skip a level, images without alt text, and on each edition's search page
a search that lists nothing; and a full-length screenshot of each visit
in which it found any of these (of every visit, if asked).

axe's colour-contrast rule takes most of the audit's time (measured on 12
pages: 12 s of axe's 15 s), nearly all of it in the article's code and
math. So the second viewport to open a page checks the contrast of the
article's text only when the article looks different there: when the
colours, backgrounds, sizes or weights of its elements (what contrast and
"large text" depend on) are not those the first viewport saw; the rest of
the page it always checks.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Request,
    Response,
    async_playwright,
)

from site_audit.headings import skipped_levels
from site_audit.hosts import is_local
from site_audit.pages import of_edition
from site_audit.visit import Visit

# Flags that Debian's Chromium needs to run headless as root in a container,
# and that keep it from calling home (updates, sync, field trials).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "mobile": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    },
}
# The article's headings and the images without alt text, as the page shows them.
_DOM_FACTS = """() => {
  const article = document.querySelector("article") || document.body;
  const headings = [...article.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .map((h) => [Number(h.tagName[1]), h.textContent.replace(/[#¶]\\s*$/, "").trim()]);
  const noAlt = [...document.querySelectorAll("img")]
    .filter((img) => !(img.getAttribute("alt") || "").trim())
    .map((img) => img.getAttribute("src"));
  return { headings, noAlt };
}"""
# What decides the contrast of the article's text, element by element in the
# order of the page, and for the article's ancestors (whose backgrounds show
# through): colours, backgrounds, opacity, shadows, sizes and weights (which
# make text "large"), whether it is shown at all. Not the styles of ::before
# and ::after, which would triple the cost (a gap: a width-dependent colour of
# generated text in the article goes unnoticed). A digest, not the list: a
# long page has tens of thousands of elements.
_ARTICLE_STYLES = """() => {
  const article = document.querySelector("article");
  if (!article) return "no article";
  const ancestors = [];
  for (let node = article.parentElement; node; node = node.parentElement) ancestors.push(node);
  const describe = (s) => [s.color, s.backgroundColor, s.backgroundImage, s.opacity, s.textShadow,
    s.fontSize, s.fontWeight, s.display, s.visibility].join("|");
  let digest = 2166136261;  // FNV-1a over every description
  for (const element of [...ancestors, article, ...article.querySelectorAll("*")]) {
    const text = describe(getComputedStyle(element)) + "\\n";
    for (let i = 0; i < text.length; i++) {
      digest = Math.imul(digest ^ text.charCodeAt(i), 16777619) >>> 0;
    }
  }
  return `${digest}`;
}"""
_VIOLATIONS: dict[str, Any] = {"resultTypes": ["violations"]}
# Each edition's search page is asked for a word of its language that nearly
# every page of the guide has, at HTMLCS_VIEWPORT's width, and must list at
# least half the edition's pages. Sphinx's search lists what it finds as items
# of #search-results, and writes its summary below them once it has finished.
# (The Chinese word catches a search that indexes no Chinese: without jieba,
# Sphinx's Chinese search lists only pages with the word in a title.)
SEARCH_PAGE = "search.html"
SEARCH_WORDS = {"zh_CN/": "梯度"}  # by the edition's folder; any other edition:
SEARCH_WORD = "autograd"
_SEARCH_RESULT = "#search-results li"
_SEARCH_FINISHED = "() => document.querySelector('#search-results .search-summary')?.textContent"
_SEARCH_SECONDS = 5
# HTML_CodeSniffer runs at one width, as pa11y does (its default window is a
# desktop's, 1280 px wide): axe already checks both, and this halves its cost.
HTMLCS_VIEWPORT = "desktop"
# HTML_CodeSniffer's errors against WCAG 2 AA, as pa11y reports them by default
# (not its warnings and notices): [code, message, element] each. The element is
# named by its tag, id and first classes, and its parent's.
_HTMLCS_ERRORS = """() => new Promise((resolve, reject) => {
  const name = (node) => {
    if (!node || !node.tagName) return "document";
    const id = node.id ? `#${node.id}` : "";
    const classes = [...node.classList].slice(0, 2).map((c) => `.${c}`).join("");
    return node.tagName.toLowerCase() + id + classes;
  };
  const describe = (node) =>
    node && node.parentElement ? `${name(node.parentElement)} > ${name(node)}` : name(node);
  window.HTMLCS.process("WCAG2AA", document, () => resolve(
    window.HTMLCS.getMessages()
      .filter((message) => message.type === window.HTMLCS.ERROR)
      .map((message) => [message.code, message.msg, describe(message.element)])
  ), () => reject(new Error("HTML_CodeSniffer could not run")), "en");
})"""
_CONTRAST = "color-contrast"
# MathJax typesets after the load event; the screenshot and axe must see the result.
_MATH_TYPESET = "() => window.MathJax?.startup?.promise ?? null"


def _local_file(html: Path, site: str, url: str) -> Path | None:
    path = unquote(urlsplit(url).path)
    base = urlsplit(site).path
    if not path.startswith(base):
        return None
    file = html / path.removeprefix(base)
    if file.is_dir():
        file /= "index.html"
    return file if file.is_file() else None


async def _accessibility(page: Page, visit: Visit, axe: Axe, styles: dict[str, str]) -> None:
    """Record axe's violations; ``styles`` holds each page's article styles as first seen."""
    article = await page.evaluate(_ARTICLE_STYLES)
    seen = styles.setdefault(visit.page, article)
    if seen is article or seen != article or article == "no article":
        runs = [await axe.run(page, options=_VIOLATIONS)]
    else:  # the article's contrast is what the first viewport's full run found
        visit.contrast_outside_article = True
        everything_else = {**_VIOLATIONS, "rules": {_CONTRAST: {"enabled": False}}}
        contrast = {**_VIOLATIONS, "runOnly": {"type": "rule", "values": [_CONTRAST]}}
        runs = [
            await axe.run(page, options=everything_else),
            await axe.run(page, context={"exclude": [["article"]]}, options=contrast),
        ]
    for results in runs:
        for violation in results.response["violations"]:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            visit.axe.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )


async def _visit(
    page: Page,
    visit: Visit,
    url: str,
    html: Path,
    site: str,
    axe: Axe,
    styles: dict[str, str],
    htmlcs: str,
) -> None:
    # axe fetches the stylesheets again to read them, and resolves their
    # @import against the page rather than the stylesheet (a 404 no reader
    # meets): only what happens before axe starts is the page's.
    loading = True

    def on_request(request: Request) -> None:
        if loading:
            visit.requests.append(request.url)
            if not is_local(request.url):
                visit.blocked.append(request.url)

    def on_response(response: Response) -> None:
        if not loading:
            return
        if response.status >= 400:
            visit.failed.append(f"{response.status} {response.url}")
        elif (file := _local_file(html, site, response.url)) is not None:
            visit.files.append(file)

    def on_request_failed(request: Request) -> None:
        if loading and is_local(request.url):
            visit.failed.append(f"{request.failure} {request.url}")

    def on_console(message: ConsoleMessage) -> None:
        if loading and message.type == "error":
            visit.console_errors.append(message.text)

    def on_page_error(error: Error) -> None:
        visit.console_errors.append(f"uncaught {error}")

    listeners: dict[str, Callable[[Any], None]] = {
        "request": on_request,
        "response": on_response,
        "requestfailed": on_request_failed,
        "console": on_console,
        "pageerror": on_page_error,
    }
    for event, listener in listeners.items():
        page.on(event, listener)  # type: ignore[call-overload]
    try:
        await page.goto(url, wait_until="load")
        await page.evaluate(_MATH_TYPESET)
        loading = False
        await _accessibility(page, visit, axe, styles)
        if visit.viewport == HTMLCS_VIEWPORT:
            # The second engine, as pa11y runs it: its script added to the page, then run.
            await page.add_script_tag(content=htmlcs)
            visit.htmlcs = [
                f"{code}: {message} at {element}"
                for code, message, element in await page.evaluate(_HTMLCS_ERRORS)
            ]
        facts = await page.evaluate(_DOM_FACTS)
        visit.headings = skipped_levels([(level, text) for level, text in facts["headings"]])
        visit.images_without_alt = facts["noAlt"]
    finally:
        # The tab goes on to the next page: what happens there is not this visit's.
        for event, listener in listeners.items():
            page.remove_listener(event, listener)


async def _search(page: Page, url: str, word: str, pages: int) -> list[str]:
    """Search with the search page at ``url`` for ``word``; what went wrong.

    ``pages`` is the number of pages of its edition: the search must list at
    least half of them.
    """
    await page.goto(f"{url}?q={quote(word)}", wait_until="load")
    try:
        await page.wait_for_selector(_SEARCH_RESULT, timeout=_SEARCH_SECONDS * 1000)
        await page.wait_for_function(_SEARCH_FINISHED, timeout=_SEARCH_SECONDS * 1000)
    except Error:
        return [f"searching for {word!r} listed no page within {_SEARCH_SECONDS} s"]
    found = await page.locator(_SEARCH_RESULT).count()
    if found < pages / 2:
        return [f"searching for {word!r} listed {found} of the edition's {pages} pages: under half"]
    return []


async def _screenshot(page: Page, visit: Visit, path: Path) -> None:
    """Save a full-length screenshot of the page as ``visit.screenshot``; a failure only warns."""
    try:
        await page.screenshot(path=path, full_page=True)
    except Error as error:  # a page too long to draw, say: the findings still count
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(
            f"warning: no screenshot of {visit.page} [{visit.viewport}]: {first}", file=sys.stderr
        )
    else:
        visit.screenshot = path


async def _new_tab(context: BrowserContext) -> Page:
    """A tab that loads every page as on a first visit: nothing from the browser's cache."""
    page = await context.new_page()
    # Each page's weight and requests are what a new reader's browser fetches,
    # not what is left cached from the page this tab showed before.
    devtools = await context.new_cdp_session(page)
    await devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
    return page


async def _visit_all(
    html: Path,
    site: str,
    pages: list[Path],
    chromium: str,
    screenshots: Path,
    tabs: int,
    every_page: bool,
    htmlcs: str,
) -> list[Visit]:
    axe = Axe()
    jobs = [(viewport, page.as_posix()) for viewport in VIEWPORTS for page in pages]
    # One iterator for all workers: each takes the next job when it is free
    # (no await between taking and starting, so no job is taken twice).
    pending = iter(jobs)
    visits: dict[tuple[str, str], Visit] = {}
    styles: dict[str, str] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium,
            args=CHROMIUM_FLAGS,
            # Every request to another host goes to a proxy that does not
            # exist and fails at once: the audit can neither reach out nor
            # hang. Chromium never proxies loopback, so the site loads as is.
            # (Routing requests through Playwright would block them too, at
            # the cost of a round trip to Python for every request.)
            proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"},
        )
        contexts = {
            viewport: await browser.new_context(**options)
            for viewport, options in VIEWPORTS.items()
        }

        async def worker() -> None:
            # Each worker keeps one tab per viewport and moves it from page to
            # page (a new tab per page costs a renderer process each time);
            # tabs have processes of their own, so a few workers share the
            # machine's cores.
            own_tabs: dict[str, Page] = {}
            for viewport, name in pending:
                if viewport not in own_tabs:
                    own_tabs[viewport] = await _new_tab(contexts[viewport])
                tab = own_tabs[viewport]
                visit = visits[viewport, name] = Visit(name, viewport)
                await _visit(tab, visit, site + name, html, site, axe, styles, htmlcs)
                # A full-length screenshot costs about 0.34 s a visit, a third of the
                # audit's browser time: by default only where the browser found something.
                if every_page or visit.findings():
                    await _screenshot(tab, visit, screenshots / visit.screenshot_name)

        await asyncio.gather(*(worker() for _ in range(tabs)))
        # Searching leaves its words in the browser's storage, and Sphinx then
        # highlights them on every page opened after: a context of its own.
        searching = await browser.new_context(**VIEWPORTS[HTMLCS_VIEWPORT])
        for (viewport, name), visit in visits.items():
            if viewport == HTMLCS_VIEWPORT and name.rpartition("/")[2] == SEARCH_PAGE:
                tab = await searching.new_page()
                edition = name.removesuffix(SEARCH_PAGE)  # "" or "zh_CN/", say
                edition_pages = of_edition(edition, (page for _, page in jobs), SEARCH_PAGE)
                word = SEARCH_WORDS.get(edition, SEARCH_WORD)
                visit.search = await _search(tab, site + name, word, edition_pages)
                if visit.search and visit.screenshot is None:
                    await _screenshot(tab, visit, screenshots / visit.screenshot_name)
        await searching.close()
        await browser.close()
    return [visits[job] for job in jobs]


def clear_screenshots(folder: Path, pages: list[Path]) -> None:
    """Create ``folder`` if need be and remove the screenshots of ``pages`` an earlier run saved.

    Only files named as this audit names its screenshots of these pages: an
    earlier run's would pass for this run's findings.

    Raises:
        OSError: If the folder cannot be made or a screenshot removed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for viewport in VIEWPORTS:
        for page in pages:
            (folder / Visit(page.as_posix(), viewport).screenshot_name).unlink(missing_ok=True)


def visit_all(
    html: Path,
    site: str,
    pages: list[Path],
    chromium: str,
    screenshots: Path,
    tabs: int = 2,
    *,
    htmlcs: Path,
    every_page: bool = False,
) -> list[Visit]:
    """Open each page at each viewport, ``tabs`` at a time; return what each visit recorded.

    ``htmlcs`` is HTML_CodeSniffer's script (``HTMLCS.js``), run on every page at
    :data:`HTMLCS_VIEWPORT`; each edition's search page is then searched at that width.

    A full-length screenshot of each visit in which the browser found something
    (of every visit if ``every_page``) is saved in the existing folder
    ``screenshots`` as its :attr:`~site_audit.visit.Visit.screenshot_name`,
    and named in its :attr:`~site_audit.visit.Visit.screenshot`.
    """
    script = htmlcs.read_text(encoding="utf-8")
    return asyncio.run(
        _visit_all(html, site, pages, chromium, screenshots, tabs, every_page, script)
    )
