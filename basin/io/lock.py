"""A lock file that keeps two runs out of one output folder."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from basin._errors import DataError

LOCK_NAME = ".basin.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def output_lock(outdir: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold ``outdir/.basin.lock`` for the duration of a run; a second run gets a clear error.

    A lock left by a process that no longer exists is taken over.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK_NAME
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text(encoding="ascii").strip() or "0")
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid) and pid != os.getpid():
                msg = f"output folder {out} is in use by another basin run (pid {pid}, lock {lock}); wait for it or choose another folder"
                raise DataError(msg) from None
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(str(os.getpid()))
        break
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


__all__ = ["LOCK_NAME", "output_lock"]
