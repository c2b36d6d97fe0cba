"""Private scratch folders for a load's spilled rows, never left behind for long.

A folder is removed when the load ends, however it ends (error, Ctrl-C, SIGTERM: the CLI turns
signals into exceptions so this cleanup runs). A `kill -9` cannot be caught, so each folder holds
a lock for as long as its process lives, and every new load removes the folders whose lock is
free: the next run reclaims what a killed one left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".owner.lock"
UNLOCKED_GRACE = 3600.0
"""A folder without a lock file (made by an older version) is reclaimed after this many seconds."""


def reclaim(prefix: str, root: Path | None = None) -> int:
    """Remove scratch folders `prefix*` whose owning process is gone; how many were removed."""
    root = Path(root or tempfile.gettempdir())
    removed = 0
    for folder in root.glob(f"{prefix}*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        lock = folder / LOCK_NAME
        try:
            if not lock.exists():
                if time.time() - folder.stat().st_mtime < UNLOCKED_GRACE:
                    continue
            else:
                with lock.open("rb") as fh:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue          # its load is still running
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A new private (0700) folder, locked while in use and removed on exit."""
    reclaim(prefix)
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    # Locked under another name first: a lock file that exists unlocked, even for an instant,
    # lets a parallel load's reclaim() take it and remove the folder of a running load.
    pending = folder / (LOCK_NAME + ".new")
    fd = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(pending, folder / LOCK_NAME)
        yield folder
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
