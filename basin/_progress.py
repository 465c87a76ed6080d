"""Progress bars for long work (rich), silent when not on a terminal or with ``progress=False``."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from basin.options import get_options

T = TypeVar("T")


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar on stderr when it is a terminal."""
    if not get_options()["progress"] or not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(items, description=description, total=total, transient=True)
