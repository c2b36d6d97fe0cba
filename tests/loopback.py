"""A loopback HTTP server for loader `fetch()` tests: scripted answers, failures included.

Each route (a path, or a path with its exact query string when two routes share a path) holds a
queue of answers served in order; the last answer repeats. An answer can be a status with a body, a delay (to trip client timeouts), a body cut
short of its Content-Length (a truncated download) or a Retry-After header (HTTP 429). Every
request is recorded (path, query, headers) so tests can check what the loader asked for.
"""

from __future__ import annotations

import http.server
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0          # seconds to wait before answering
    truncate: int | None = None  # send only this many bytes of the body (Content-Length stays full)


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    target: str = ""            # the path with its query string, as requested


class Loopback:
    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def route(self, path: str, *answers: Answer) -> None:
        self.routes[path] = list(answers)

    def hits(self, route: str) -> list[Request]:
        """The requests for `route`: a path (any query), or a path with its exact query string."""
        return [r for r in self.requests if route in (r.path, r.target)]

    def _next(self, path: str, target: str) -> Answer:
        with self._lock:
            queue = self.routes.get(target) or self.routes.get(path)
            if not queue:
                return Answer(404, b'{"errors":[{"status":"404","title":"Not Found"}]}')
            return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(box: Loopback) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            parts = urllib.parse.urlsplit(self.path)
            box.requests.append(Request(parts.path, urllib.parse.parse_qs(parts.query),
                                        dict(self.headers.items()), self.path))
            answer = box._next(parts.path, self.path)
            if answer.delay:
                time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                if answer.status != 204:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if answer.status != 204:
                    body = answer.body if answer.truncate is None else answer.body[:answer.truncate]
                    self.wfile.write(body)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass   # the client gave up (a timeout test)
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def loopback() -> Iterator[Loopback]:
    box = Loopback()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    box.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
