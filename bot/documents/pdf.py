"""HTML made into PDF by WeasyPrint, which may load only what the bot itself ships.

The HTML is the bot's own template, but it carries text people typed and area
names from imported files. Jinja's autoescaping keeps that text from becoming
markup; this is the second fence: whatever a document asks to load, WeasyPrint
fetches only data: URIs (the charts) and files inside the bot's templates
package, never another local file, never the network.
"""
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher

import templates

OWN_FILES = Path(templates.__file__).resolve().parent


def write_pdf(html: str, **options) -> bytes:
    return HTML(string=html, url_fetcher=OwnFilesOnly()).write_pdf(**options)


def allowed(url: str) -> bool:
    """Whether a document may load `url`: a data: URI, or a file of the bot's own."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return True
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    return Path(unquote(parts.path)).resolve().is_relative_to(OWN_FILES)


class OwnFilesOnly(URLFetcher):
    def __init__(self):
        super().__init__(allowed_protocols=("data", "file"))

    def fetch(self, url, headers=None):
        if not allowed(url):
            # WeasyPrint leaves the resource out, logs a warning and carries on.
            raise ValueError(f"documents load only the bot's own files, not {url[:200]}")
        return super().fetch(url, headers)
