"""Where a page may send the browser after login: this server's own paths, nothing else.

Browsers read ``/\\host``, ``/\\t/host`` and ``//host`` as another site (they turn
backslashes into slashes and drop tabs and newlines), so a "starts with one
slash" check on the client is not enough. The target is parsed here, on the
server, and only a path (with its query) on this origin is kept.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

HOME = "/"
# Anything a browser may strip or rewrite before it resolves the URL.
_UNSAFE = re.compile(r"[\\\x00-\x20\x7f]")


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this server, else the home page."""
    if not target or _UNSAFE.search(target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return HOME
    if parts.path.startswith("//"):
        return HOME
    return parts.path + (f"?{parts.query}" if parts.query else "")


def login_url(path: str) -> str:
    """The login page that returns to `path` afterwards."""
    return f"/login?next={quote(safe_next(path), safe='/')}"
