"""Every document the registry prints, one module each (posters, cards, paper forms, the
report, the F1 list, with their background-job parts beside them), and the rendering they share:
a Jinja template → HTML → WeasyPrint, with bundled fonts and a locked fetcher.

`render_pdf("pdf/poster.html", **ctx)` returns the PDF bytes. One FontConfiguration and the print
CSS are built once per process; the URL fetcher serves only the package's own static files and
data: URIs, so a typed value can never make the renderer fetch anything from the network.
Nothing outside this package imports WeasyPrint.
"""
from __future__ import annotations

import atexit
import functools
import gc
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pypdfium2 as pdfium
from flask import render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
BASE_URL = "registry-static:///"


class FetchRefused(ValueError):
    """The PDF asked for a resource outside the package."""


class PackageOnlyFetcher(URLFetcher):
    """Serve registry-static:/// paths from the package's static folder, and data: URIs; refuse
    everything else (http, file, ftp …)."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parsed = urlparse(url)
        if parsed.scheme != "registry-static":
            raise FetchRefused(url)
        path = (STATIC_DIR / unquote(parsed.path).lstrip("/")).resolve()
        if STATIC_DIR not in path.parents or not path.is_file():
            raise FetchRefused(url)
        mime_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(url, body=path.read_bytes(), headers={
            "Content-Type": mime_type or "application/octet-stream"})


url_fetcher = PackageOnlyFetcher()


@functools.cache
def font_config() -> FontConfiguration:
    """The process-wide font configuration (fonts are loaded once)."""
    return FontConfiguration()


@functools.cache
def stylesheet(name: str) -> CSS:
    """A print stylesheet from static/css/print/, parsed once."""
    return CSS(filename=str(STATIC_DIR / "css" / "print" / name), base_url=BASE_URL,
               url_fetcher=url_fetcher, font_config=font_config())


def load_stylesheets() -> None:
    """Parse every print stylesheet now, their @font-face fonts registered with the process's
    font configuration. The job consumer does it before forking its workers: a font face
    added in a forked worker is not seen by the Pango font map it inherited (the cards' "Card
    Sans" fell back to the next family of the list)."""
    for path in sorted((STATIC_DIR / "css" / "print").glob("*.css")):
        stylesheet(path.name)


@atexit.register
def _release_pango_objects() -> None:
    """Drop the cached fonts and stylesheets while Pango is still alive.

    Left to the interpreter's final garbage collection, their GObject references are released
    after the libraries are torn down, and the process crashes (SIGSEGV) on exit: a command such
    as `flask seed-demo` would then fail although its work was done.
    """
    stylesheet.cache_clear()
    font_config.cache_clear()
    gc.collect()


def html_to_pdf(html: str, stylesheets: tuple[str, ...] = ("base.css",)) -> bytes:
    """Render an HTML string with the named print stylesheets."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher)
    return document.write_pdf(stylesheets=[stylesheet(n) for n in stylesheets],
                              font_config=font_config())


def render_html_document(template: str, stylesheets: tuple[str, ...] = ("base.css",), **context):
    """The laid-out WeasyPrint document (for page counts or copying pages), not yet written."""
    html = render_template(template, **context)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher)
    return document.render(stylesheets=[stylesheet(n) for n in stylesheets],
                           font_config=font_config())


def render_pdf(template: str, stylesheets: tuple[str, ...] = ("base.css",), **context) -> bytes:
    """Render a Jinja template (autoescaped: typed text stays text) to PDF bytes."""
    return html_to_pdf(render_template(template, **context), stylesheets)


# PDFium is not thread-safe: one merge at a time in a process (a web worker has threads).
_pdfium_lock = threading.Lock()


def merge_pdfs(paths: list[Path], target: Path) -> Path:
    """Join PDFs page by page into `target`, without laying them out again: the common merge
    step of the documents printed in parts by background jobs. PDFium copies the pages in C:
    10,000 cards (1,000 pages, 20 parts) join in 0.3 s and 35 MB, where pypdf took 2.9 s and
    116 MB of Python objects (`bench.bench_cards`)."""
    with _pdfium_lock:
        merged = pdfium.PdfDocument.new()
        try:
            for path in paths:
                part = pdfium.PdfDocument(str(path))
                try:
                    merged.import_pages(part)
                finally:
                    part.close()
            merged.save(str(target))
        finally:
            merged.close()
    return target
