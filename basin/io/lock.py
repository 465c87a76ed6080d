"""A lock file that keeps two runs out of one output folder (and cleans a killed run's partial files)."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from basin._errors import DataError
from basin.io.atomic import clean_partials

#: Name of the lock file in an output folder (see :func:`output_lock`).
LOCK_NAME = ".basin.lock"


def _pid_alive(pid: int) -> bool | None:
    """True/False when it can be told (POSIX), None otherwise."""
    if os.name != "posix":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return True


@contextlib.contextmanager
def output_lock(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Keep other basin runs out of ``folder`` while the block runs; clean a killed run's partial files.

    The lock is the file ``FOLDER/.basin.lock`` (pid, host, start time), created exclusively and removed at
    the end. A lock left by a process that no longer runs on this host is taken over.

    Parameters
    ----------
    folder
        The output folder (created if missing).

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    DataError
        Another run holds the folder.
    """
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        msg = f"output folder {root} is a file; choose a folder for -o"
        raise DataError(msg) from exc
    lock = root / LOCK_NAME
    host = socket.gethostname()
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    info = {"pid": os.getpid(), "host": host, "started": started}
    for _attempt in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                held = json.loads(lock.read_text(encoding="utf-8"))
                pid, held_host = int(held["pid"]), str(held["host"])
            except (OSError, ValueError, KeyError, TypeError):
                held, pid, held_host = {}, -1, ""
            alive = _pid_alive(pid) if held_host == host and pid > 0 else None
            if alive is False or (pid == os.getpid() and held_host == host):
                with contextlib.suppress(OSError):
                    lock.unlink()  # stale: the process that held it is gone
                continue
            when = held.get("started", "?")
            who = f"pid {pid} on {held_host}, started {when}" if held else "unreadable lock"
            msg = (
                f"output folder {root} is in use by another basin run ({who}); wait for it to finish or "
                f"choose another output folder (remove {lock} if no run is active)"
            )
            raise DataError(msg) from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh)
        break
    else:
        msg = f"cannot take the lock {lock}; remove it if no basin run is active"
        raise DataError(msg)
    try:
        clean_partials(root)
        yield lock
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


__all__ = ["LOCK_NAME", "output_lock"]
