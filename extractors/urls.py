"""Canonical URLs and article ids."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

import courlan

_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")


def canonical_url(url: str) -> str:
    """Tracking parameters, the fragment, the scheme and www./m. host variants do not make a new URL."""
    url = url.strip()
    try:
        url = courlan.normalize_url(url)
    except ValueError:
        pass
    parts = urlsplit(url)
    host = parts.netloc.lower()
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix):]
            break
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, parts.query, ""))


def article_id(url: str) -> str:
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:20]


def content_hash(title: str, text: str) -> str:
    """Same story under two URLs: hash of the whitespace- and case-folded title and text."""
    norm = " ".join(f"{title} {text}".lower().split())
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:20]
