"""The Link simulator's browser side: static files the emulator serves on ``GET``.

``link-initialize.js`` is served where Plaid's CDN has it and defines
``window.Plaid.create``; its ``open()`` shows ``link.html`` (with ``link.css`` and
``link.js``) in an iframe, which talks to ``/emulator/link/session/*`` and posts the
callbacks to the page. Nothing here loads anything from outside the emulator; the
iframe's Content-Security-Policy makes sure of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["ASSETS", "Asset"]

#: The iframe may load only its own files and call only the emulator. No frame-ancestors:
#: any page may frame it, even one without an origin (about:blank, file://), which
#: ``frame-ancestors *`` would refuse.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Asset:
    """A file of this package served at ``path`` with its content type and headers."""

    path: str
    filename: str
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()

    def read(self) -> bytes:
        """The file's bytes (read once, then cached)."""
        return _read(self.filename)


@cache
def _read(filename: str) -> bytes:
    return resources.files(__name__).joinpath(filename).read_bytes()


_NO_SNIFF = ("X-Content-Type-Options", "nosniff")
# Developers edit and reload; a stale simulator in the browser cache helps nobody.
_NO_CACHE = ("Cache-Control", "no-cache")
_PLAIN = (_NO_SNIFF, _NO_CACHE)
_PAGE = (*_PLAIN, ("Content-Security-Policy", _CSP), ("Referrer-Policy", "no-referrer"))
_JS = "text/javascript; charset=utf-8"

#: Plaid's CDN paths, so a page's script URL differs only in its host.
ASSETS: tuple[Asset, ...] = (
    Asset("/link/v2/stable/link-initialize.js", "link-initialize.js", _JS, _PLAIN),
    Asset("/link/v2/stable/link.html", "link.html", "text/html; charset=utf-8", _PAGE),
    Asset("/link/v2/stable/link.css", "link.css", "text/css; charset=utf-8", _PLAIN),
    Asset("/link/v2/stable/link.js", "link.js", _JS, _PLAIN),
)
