"""HTTP for the API loaders, built on `kg.sources.download` (atomic, retried, sha256-checked).

`kg.sources.download` takes a finished URL and treats every body as a file. The API loaders also
need query parameters (with secrets kept out of manifests and messages), "HTTP 204 / empty body =
no data" (the Census API's answer to a query without rows), a tolerated 404 (GLEIF answers 404 for
"this entity has no parent") and a polite pace between requests (Wikidata, GLEIF). This module adds
exactly that and nothing else; retries, backoff and Retry-After stay in `download`.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kg.sources import SECRET_PARAMS, FetchedFile, FetchError, download, redact

__all__ = ["SECRET_PARAMS", "Pace", "build_url", "get", "redact"]



@dataclass
class Pace:
    """At most one request per `interval` seconds (one instance per fetch run, not global)."""

    interval: float = 0.0
    _last: float = field(default=-1e18, repr=False)

    def wait(self) -> None:
        delay = self._last + self.interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last = time.monotonic()


def build_url(base: str, params: Mapping[str, str | int] | None = None) -> str:
    """`base?params`, keeping `,` `*` `:` literal (the Census API reads `get=A,B` and `2805*`)."""
    if not params:
        return base
    query = urllib.parse.urlencode({k: str(v) for k, v in params.items()}, safe=",*:")
    return f"{base}{'&' if '?' in base else '?'}{query}"




def get(url: str, dest: Path, *, params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None, pace: Pace | None = None,
        timeout: float = 60.0, retries: int = 4, backoff: float = 1.0,
        allow_empty: bool = False, missing_ok: bool = False,
        extra: Mapping[str, str] | None = None) -> FetchedFile | None:
    """Download `url?params` to `dest`; None when the server says there is no data.

    `allow_empty`: HTTP 204 (or an empty 200) means "no rows" and returns None, leaving no file.
    `missing_ok`: HTTP 404 means "no such record" and returns None.
    Secret parameters (`key`, …) are redacted from the manifest URL and from error messages.
    """
    full = build_url(url, params)
    shown = redact(full)
    if pace is not None:
        pace.wait()
    try:
        fetched = download(full, dest, headers=headers, timeout=timeout, retries=retries,
                           backoff=backoff, expect_min_bytes=0 if allow_empty else 1)
    except FetchError as exc:
        if missing_ok and exc.status == 404:
            return None
        # `from None`: the original message (and so its traceback) carries the unredacted URL.
        raise FetchError(str(exc).replace(full, shown), status=exc.status) from None
    if fetched.size == 0:
        dest.unlink(missing_ok=True)
        return None
    fetched.url = shown
    fetched.extra.update(extra or {})
    return fetched
