"""The flyer page printed to an A4 PDF by WeasyPrint (Pango lays out Arabic, Chinese and Cyrillic with the
system's Noto fonts); the text stays selectable and the PDF is tagged for assistive technology."""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path

ORIGIN = "https://flyer.invalid"  # the page's base URL inside WeasyPrint: only our static files resolve
_one_at_a_time = threading.Lock()  # laying out a PDF takes a core for a moment: never several at once


def render_pdf(html: str, static_dir: Path) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFiles(URLFetcher):
        """Static files from disk and data: URIs (the QR codes); nothing from the network."""

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(ORIGIN + "/static/"):
                relative = url.removeprefix(ORIGIN + "/static/").split("?")[0]
                path = (static_dir / relative).resolve()
                if path.is_relative_to(static_dir.resolve()) and path.is_file():
                    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={"content-type": media_type})
            raise ValueError(f"not fetched for a flyer: {url}")

    with _one_at_a_time:
        return HTML(string=html, base_url=ORIGIN + "/", url_fetcher=StaticFiles()).write_pdf(pdf_tags=True)
