"""Audit the built site as a browser sees it: requests, console, accessibility, HTML, links, size.

``python -m site_audit build/html`` (what ``nox -s audit`` runs) serves the
folder on 127.0.0.1, opens every page in headless Chromium at a desktop and a
mobile viewport, validates the HTML with the Nu Html Checker, checks every
internal link offline, prints one row per page, then measures a few pages
with Lighthouse (mobile and desktop) and prints a row for each, and exits
non-zero on any finding or threshold missed. Each module holds one part;
``__main__`` only puts them together.
"""
