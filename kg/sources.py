"""Source specs, the loader protocol and the one generic download routine.

`fetch` is the only code in the project that touches the network. It downloads to a temporary
file, checks it, renames it into place atomically and records URL, sha256 and retrieval time in a
manifest, so parsing only ever sees complete local files.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .errors import KGError
from .models import Record

log = logging.getLogger(__name__)

USER_AGENT = "chokepoint-kg/0.1 (+https://github.com/chokepoint-kg/chokepoint; open-source research)"


@dataclass(frozen=True)
class SourceSpec:
    """What a public source is: where it lives, who publishes it, its licence and cadence."""

    name: str
    title: str
    publisher: str
    urls: tuple[str, ...]
    license: str
    cadence: str
    homepage: str = ""
    env_key: str | None = None        # environment variable holding an API key, if any


class Loader(Protocol):
    """The shape every module in `loaders/` has."""

    SPEC: SourceSpec

    def fetch(self, dest: Path, *, base_url: str | None = None) -> list[Path]: ...

    def parse(self, paths: Iterable[Path]) -> Iterator[Record]: ...


class FetchError(KGError):
    """A download failed after its retries; nothing partial was left behind."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class FetchedFile:
    url: str
    path: Path
    sha256: str
    retrieved: str
    size: int
    extra: dict[str, str] = field(default_factory=dict)


def download(url: str, dest: Path, *, headers: Mapping[str, str] | None = None,
             timeout: float = 30.0, retries: int = 3, backoff: float = 1.0,
             expect_min_bytes: int = 1) -> FetchedFile:
    """Download `url` to `dest` atomically, retrying transient failures with backoff.

    HTTP 429 and 5xx and connection errors are retried (honouring Retry-After); other 4xx are
    final. A body shorter than its Content-Length is treated as a failure.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    req_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    last: Exception | None = None
    for attempt in range(retries + 1):
        tmp = None
        try:
            request = urllib.request.Request(url, headers=req_headers)
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                expected = resp.headers.get("Content-Length")
                digest = hashlib.sha256()
                fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
                size = 0
                with os.fdopen(fd, "wb") as out:
                    while chunk := resp.read(1 << 16):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                if expected is not None and size != int(expected):
                    raise FetchError(f"{redact(url)}: truncated body ({size} of {expected} bytes)")
                if size < expect_min_bytes:
                    raise FetchError(f"{redact(url)}: empty body")
                os.replace(tmp, dest)
                tmp = None
                return FetchedFile(url=url, path=dest, sha256=digest.hexdigest(),
                                   retrieved=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                                   size=size)
        except urllib.error.HTTPError as exc:
            last = exc
            if exc.code != 429 and exc.code < 500:
                raise FetchError(f"{redact(url)}: HTTP {exc.code} {exc.reason}",
                                 status=exc.code) from None
            delay = _retry_after(exc.headers.get("Retry-After")) or backoff * (2 ** attempt)
        except (urllib.error.URLError, TimeoutError, ConnectionError, FetchError, OSError) as exc:
            last = exc
            delay = backoff * (2 ** attempt)
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
        if attempt < retries:
            log.warning("fetch %s failed (%s); retry %d/%d in %.1fs", redact(url),
                        redact(str(last)), attempt + 1, retries, delay)
            time.sleep(delay)
    raise FetchError(f"{redact(url)}: failed after {retries + 1} attempts: {redact(str(last))}")


_SECRET_PARAMS = re.compile(r"(?i)([?&](?:key|api_key|apikey|token|subscription-key|access_token)=)[^&#\s:]*")


def redact(url: str) -> str:
    """A URL safe to log: API keys in the query string replaced by ***."""
    return _SECRET_PARAMS.sub(r"\1***", url)


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 60.0) if value else None
    except ValueError:
        return None


def write_manifest(dest: Path, source: str, files: Iterable[FetchedFile]) -> Path:
    """Record what was fetched (URL, sha256, size, retrieval time) next to the files."""
    manifest = {
        "source": source,
        "files": [
            {"url": f.url, "file": f.path.name, "sha256": f.sha256, "size": f.size,
             "retrieved": f.retrieved, **f.extra}
            for f in files
        ],
    }
    path = dest / "manifest.json"
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
