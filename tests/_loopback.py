"""A loopback HTTP server for `fetch()` tests: scripted responses per path, including failures.

Each path has a list of responses served in turn (the last one repeats): a status, a body, extra
headers, a delay before answering (for timeouts) and `truncate` (announce the full Content-Length
but send fewer bytes, then close).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Iterator
from contextlib import contextmanager


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: int | None = None


class Loopback:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                n = hits.get(self.path, 0)
                hits[self.path] = n + 1
                replies = routes.get(self.path) or [Reply(404, b"not found")]
                reply = replies[min(n, len(replies) - 1)]
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                body = reply.body if reply.truncate is None else reply.body[:reply.truncate]
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass    # the client gave up (timeout test)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)


@contextmanager
def loopback() -> Iterator[Loopback]:
    lb = Loopback()
    thread = threading.Thread(target=lb.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lb
    finally:
        lb.server.shutdown()
        lb.server.server_close()
        thread.join(timeout=5)
