"""Source specs, the loader protocol and the one generic download routine.

`fetch` is the only code in the project that touches the network. It downloads to a temporary
file, checks it, renames it into place atomically and records URL, sha256 and retrieval time in a
manifest, so parsing only ever sees complete local files.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import importlib.util
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

from .errors import KGError, UsageError
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


@dataclass(frozen=True)
class LoaderEntry:
    """One loader in the registry: everything the CLI and the build need to know about it.

    `module` is imported only when the loader is used. `id_prefixes` say which Source records the
    loader owns (by id prefix); `fetch_options` name the `kg fetch` options its `fetch()` accepts
    (`edition`, `year`, `hs_codes`); `snapshot_recipe` ("module:function") lists, for
    `python -m loaders._snapshot`, the inputs a bundled snapshot is rebuilt from. See
    docs/architecture.md, "Adding a loader".
    """

    name: str
    module: str
    id_prefixes: tuple[str, ...] = ()
    fetch_options: tuple[str, ...] = ()
    snapshot_recipe: str | None = None
    fetchable: bool = True            # False: bundled tables only, `kg fetch` skips it

    def load(self) -> Loader:
        """The loader module (imported on first use)."""
        module: Loader = importlib.import_module(self.module)
        return module

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


class LoaderRegistry:
    """The loaders a build or the CLI may use, by name; handed to `kg.build` by the CLI/API so the
    core never imports the `loaders` package (docs/architecture.md, "Layers")."""

    def __init__(self, entries: Iterable[LoaderEntry] = ()) -> None:
        self._entries: dict[str, LoaderEntry] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: LoaderEntry) -> None:
        if entry.name in self._entries:
            raise ValueError(f"loader {entry.name!r} is registered twice")
        self._entries[entry.name] = entry

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, name: str) -> LoaderEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise UsageError(f"unknown source {name!r}; known: {', '.join(self._entries)}") from None

    def get(self, name: str) -> Loader:
        """The loader module for `name`; a UsageError names the known ones."""
        entry = self.entry(name)
        try:
            return entry.load()
        except ModuleNotFoundError as exc:
            if exc.name != entry.module:
                raise    # the loader exists but one of its own imports is missing: show that
            raise UsageError(f"the {name!r} loader is not available in this version") from exc

    def names(self) -> list[str]:
        """Names of the registered loaders whose module is installed."""
        return [n for n, e in self._entries.items() if e.available()]

    def owner_of(self, source_id: str) -> str | None:
        """The loader owning a Source record: the one with the longest matching id prefix."""
        best: tuple[int, str] | None = None
        for name, entry in self._entries.items():
            for prefix in entry.id_prefixes:
                if source_id.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), name)
        return best[1] if best else None


class FetchError(KGError):
    """A download failed after its retries; nothing partial was left behind. `status` is the last
    HTTP status the server answered, if the failure was one (never parse it from the message)."""

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


MAX_BYTES = 8 * 1024 ** 3
"""Largest download accepted (8 GiB: the biggest public release used, BACI, is a few GB)."""
DEADLINE = 3600.0
"""Seconds one download may take, every attempt and retry included."""
STALL_WINDOW, STALL_MIN_BYTES = 60.0, 1024
"""A body that delivers fewer than STALL_MIN_BYTES in STALL_WINDOW seconds is abandoned: a drip
that answers each read just before the socket timeout would otherwise run until the deadline."""


class _Final(FetchError):
    """A failure that retrying cannot fix (too large, past the deadline)."""


def download(url: str, dest: Path, *, headers: Mapping[str, str] | None = None,
             timeout: float = 30.0, retries: int = 3, backoff: float = 1.0,
             expect_min_bytes: int = 1, max_bytes: int = MAX_BYTES,
             deadline: float = DEADLINE) -> FetchedFile:
    """Download `url` to `dest` atomically, retrying transient failures with backoff.

    HTTP 429 and 5xx and connection errors are retried (honouring Retry-After); other 4xx are
    final. A body shorter than its Content-Length is treated as a failure. Bounded: at most
    `max_bytes`, within `deadline` seconds overall, and never stalled (see STALL_WINDOW); every
    socket read waits at most `timeout` seconds.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    req_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    last: Exception | None = None
    ends = time.monotonic() + deadline

    def remaining() -> float:
        left = ends - time.monotonic()
        if left <= 0:
            raise _Final(f"{redact(url)}: not finished within the {deadline:.0f}s deadline")
        return left

    attempt = 0
    for attempt in range(retries + 1):
        tmp = None
        try:
            request = urllib.request.Request(url, headers=req_headers)
            with urllib.request.urlopen(request, timeout=min(timeout, remaining())) as resp:
                expected = resp.headers.get("Content-Length")
                if expected is not None and expected.isdigit() and int(expected) > max_bytes:
                    raise _Final(f"{redact(url)}: {int(expected):,} bytes is more than the "
                                 f"{max_bytes:,}-byte limit")
                digest = hashlib.sha256()
                fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
                size = 0
                window_start, window_bytes = time.monotonic(), 0
                with os.fdopen(fd, "wb") as out:
                    while True:
                        _set_read_timeout(resp, min(timeout, remaining()))
                        chunk = resp.read1(1 << 16)
                        if not chunk:
                            break
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if size > max_bytes:
                            raise _Final(f"{redact(url)}: more than the {max_bytes:,}-byte limit")
                        window_bytes += len(chunk)
                        now = time.monotonic()
                        if now - window_start >= STALL_WINDOW:
                            if window_bytes < STALL_MIN_BYTES:
                                raise FetchError(f"{redact(url)}: stalled ({window_bytes} bytes in "
                                                 f"{now - window_start:.0f}s)")
                            window_start, window_bytes = now, 0
                if expected is not None and size != int(expected):
                    raise FetchError(f"{redact(url)}: truncated body ({size} of {expected} bytes)")
                if size < expect_min_bytes:
                    raise FetchError(f"{redact(url)}: empty body")
                os.replace(tmp, dest)
                tmp = None
                return FetchedFile(url=url, path=dest, sha256=digest.hexdigest(),
                                   retrieved=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                                   size=size)
        except _Final as exc:
            raise FetchError(str(exc)) from None
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
            if time.monotonic() + delay >= ends:
                break
            log.warning("fetch %s failed (%s); retry %d/%d in %.1fs", redact(url),
                        redact(str(last)), attempt + 1, retries, delay)
            time.sleep(delay)
    tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
    if time.monotonic() >= ends - 0.05 or (attempt < retries):
        raise FetchError(f"{redact(url)}: not finished within the {deadline:.0f}s deadline "
                         f"({tries}; last: {redact(str(last))})",
                         status=last.code if isinstance(last, urllib.error.HTTPError) else None)
    raise FetchError(f"{redact(url)}: failed after {tries}: {redact(str(last))}",
                     status=last.code if isinstance(last, urllib.error.HTTPError) else None)


def _set_read_timeout(resp: object, seconds: float) -> None:
    """Shorten the socket timeout of a response as the overall deadline nears."""
    sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.01))


SECRET_PARAMS = frozenset({"key", "subscription-key", "api_key", "apikey", "token", "access_token",
                           "password", "secret", "client_secret", "signature", "sig"})
"""Query parameters whose values never reach a manifest, a log line or an error message."""

_SECRET_VALUE = re.compile(
    r"(?i)([?&;](?:" + "|".join(re.escape(k) for k in sorted(SECRET_PARAMS)) + r")=)[^&#\s]*")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/@\s:]*:)[^/\s]*@")


def redact(text: str) -> str:
    """Text (a URL, or a message that contains URLs) safe to log: the whole value of every secret
    query parameter, and any password in a URL's user-info, replaced by ***. The one redactor of
    the project (loaders/_http.py uses it too)."""
    return _USERINFO.sub(r"\1***@", _SECRET_VALUE.sub(r"\1***", text))


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
