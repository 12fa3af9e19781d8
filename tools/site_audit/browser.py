"""Open every page in headless Chromium and record what a reader's browser would see.

For each page and viewport: every request (anything not on the local server
is blocked and recorded), console errors and uncaught exceptions, local
files that failed to load, axe-core's accessibility violations (all rules
that are not experimental, best practices included), headings that skip a
level, images without alt text, and a full-page screenshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Request, Response, sync_playwright

from site_audit.headings import skipped_levels
from site_audit.hosts import is_local
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


def _visit(page: Page, visit: Visit, url: str, html: Path, site: str, axe: Axe) -> None:
    # axe fetches the stylesheets again to read them, and resolves their
    # @import against the page rather than the stylesheet (a 404 no reader
    # meets): only what happens before axe starts is the page's.
    loading = True

    def on_request(request: Request) -> None:
        if not loading:
            return
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

    page.on("request", on_request)
    page.on("response", on_response)
    page.on(
        "requestfailed",
        lambda request: (
            visit.failed.append(f"{request.failure} {request.url}")
            if loading and is_local(request.url)
            else None
        ),
    )
    page.on(
        "console",
        lambda message: (
            visit.console_errors.append(message.text)
            if loading and message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught {error}"))
    page.goto(url, wait_until="load")
    page.evaluate(_MATH_TYPESET)
    loading = False
    results = axe.run(page)
    for violation in results.response["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        visit.axe.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
        )
    facts = page.evaluate(_DOM_FACTS)
    visit.headings = skipped_levels([(level, text) for level, text in facts["headings"]])
    visit.images_without_alt = facts["noAlt"]


def visit_all(
    html: Path, site: str, pages: list[Path], chromium: str, screenshots: Path
) -> list[Visit]:
    """Open each page at each viewport; save screenshots as ``screenshots/<page>.<viewport>.png``."""
    axe = Axe()
    visits = []
    screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=CHROMIUM_FLAGS,
            # Every request to another host goes to a proxy that does not
            # exist and fails at once: the audit can neither reach out nor
            # hang. Chromium never proxies loopback, so the site loads as is.
            # (Routing requests through Playwright would block them too, but
            # turns off the browser's cache and makes each page load slower.)
            proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"},
        )
        for viewport, options in VIEWPORTS.items():
            context = browser.new_context(**options)
            for page_path in pages:
                name = page_path.as_posix()
                visit = Visit(name, viewport)
                page = context.new_page()
                _visit(page, visit, site + name, html, site, axe)
                page.screenshot(
                    path=screenshots / f"{name.replace('/', '--')}.{viewport}.png",
                    full_page=True,
                )
                page.close()
                visits.append(visit)
            context.close()
        browser.close()
    return visits
