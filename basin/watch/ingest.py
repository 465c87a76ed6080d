"""Ingest feed files and packets into the :class:`~basin.watch.store.FeedStore`; bad input is kept.

Every input is archived as received (``raw``) before it is parsed. What cannot be used — a malformed packet, a
bad CRC, an unknown station code (MN), a duplicate or future timestamp, an unreadable file — goes to the
``rejects`` table with its reason and line (or packet number); the summary counts each kind. The same file or
packet ingested twice adds nothing (its sha256 is already archived).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from basin._errors import BasinError
from basin.watch.store import FeedStore, sha256
from basin.waterquality.feeds import parse_feed, station_lookup
from basin.waterquality.feeds.hj212 import packets_to_long

__all__ = ["IngestSummary", "feed_files", "ingest_file", "ingest_packets", "ingest_paths", "reject_kind"]

#: reason prefix -> kind of reject (the summary's categories)
_KINDS = (
    ("bad CRC", "bad_crc"),
    ("unknown station code", "unknown_station"),
    ("section ", "unknown_station"),
    ("unknown station", "unknown_station"),
    ("duplicate timestamp", "duplicate_timestamp"),
    ("duplicate sample", "duplicate_timestamp"),
    ("future timestamp", "future_timestamp"),
    ("unreadable file", "unreadable_file"),
    ("packet does not start", "malformed_packet"),
    ("length field", "malformed_packet"),
    ("CRC ", "malformed_packet"),
    ("no 'CP=&&'", "malformed_packet"),
    ("the command parameters", "malformed_packet"),
    ("missing header field", "malformed_packet"),
    ("Flag ", "malformed_packet"),
    ("data segment is not", "malformed_packet"),
    ("header item", "malformed_packet"),
    ("CP item", "malformed_packet"),
    ("no DataTime", "malformed_packet"),
    ("DataTime", "malformed_packet"),
)
FEED_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls", ".xlsm", ".hj212", ".212", ".dat", ".log"}


def reject_kind(reason: str) -> str:
    """Return the summary category of a reject reason (``bad_crc`` ... ``bad_value``)."""
    for prefix, kind in _KINDS:
        if reason.startswith(prefix):
            return kind
    return "bad_value"


@dataclass
class IngestSummary:
    """What one ingest run did (all counts; ``rejected_by_kind`` splits ``rejected``)."""

    batch_id: int | None = None
    files: int = 0
    files_already_ingested: int = 0
    packets: int = 0
    packets_already_ingested: int = 0
    added: int = 0
    unchanged: int = 0
    late: int = 0
    rejected: int = 0
    rejected_by_kind: Counter[str] = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)

    def add_rejects(self, reasons: Iterable[str]) -> None:
        """Count rejects by kind."""
        for r in reasons:
            self.rejected += 1
            self.rejected_by_kind[reject_kind(str(r))] += 1

    def merge(self, other: IngestSummary) -> None:
        """Add another summary's counts to this one."""
        for f in (
            "files",
            "files_already_ingested",
            "packets",
            "packets_already_ingested",
            "added",
            "unchanged",
            "late",
            "rejected",
        ):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.rejected_by_kind.update(other.rejected_by_kind)
        self.sources.extend(other.sources)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain JSON-ready data."""
        return {
            "batch_id": self.batch_id,
            "files": self.files,
            "files_already_ingested": self.files_already_ingested,
            "packets": self.packets,
            "packets_already_ingested": self.packets_already_ingested,
            "values_added": self.added,
            "values_unchanged": self.unchanged,
            "values_late": self.late,
            "rejected": self.rejected,
            "rejected_by_kind": dict(sorted(self.rejected_by_kind.items())),
        }


def feed_files(
    paths: Iterable[str | os.PathLike[str]], *, exclude: Iterable[str | os.PathLike[str]] = ()
) -> list[Path]:
    """Expand FEED arguments: files as given, folders to their feed files (sorted by name).

    The files of ``exclude`` (the watcher's own outputs, when OUT is a feed folder) are left out of folders.
    """
    ex = {Path(e).resolve() for e in exclude}
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in FEED_SUFFIXES)
            out.extend(f for f in files if f.resolve() not in ex)
        else:
            out.append(p)
    return out


def ingest_file(
    store: FeedStore,
    path: str | os.PathLike[str],
    *,
    stations: Any = None,
    layout: str = "auto",
    year: int | None = None,
    batch_id: int | None = None,
    now: datetime | None = None,
) -> IngestSummary:
    """Archive and ingest one feed file (release export, HJ 212 packet file, long or wide table).

    A file already archived (same sha256) is skipped. A file that cannot be read at all (missing, no year for
    an export, wrong columns …) is archived when it exists and kept as one reject with the reason.
    """
    path = Path(path)
    summary = IngestSummary(batch_id=batch_id, sources=[str(path)])
    source = str(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        reason = f"unreadable file: {exc.strerror or exc}"
        store.add_rejects(
            pd.DataFrame({"line": [None], "reason": [reason], "packet": [""]}),
            source=source,
            batch_id=batch_id,
        )
        summary.add_rejects([reason])
        return summary
    if store.has_raw(sha256(content)):
        summary.files_already_ingested += 1
        return summary
    summary.files += 1
    try:
        feed = parse_feed(path, layout=layout, year=year, stations=stations)
    except (BasinError, ValueError, UnicodeError) as exc:
        raw_id, _ = store.archive(content, source=source, kind="file", layout=layout, batch_id=batch_id)
        reason = f"unreadable file: {exc}"
        store.add_rejects(
            pd.DataFrame({"line": [None], "reason": [reason], "packet": [""]}),
            source=source,
            raw_id=raw_id,
            batch_id=batch_id,
        )
        summary.add_rejects([reason])
        return summary
    raw_id, _ = store.archive(content, source=source, kind="file", layout=feed.layout, batch_id=batch_id)
    if feed.layout == "hj212":
        summary.packets += int(feed.info.get("packets", 0))
    store.add_rejects(feed.rejects, source=source, raw_id=raw_id, batch_id=batch_id)
    summary.add_rejects(feed.rejects["reason"])
    counts, rej = store.add_observations(feed.long, raw_id=raw_id, batch_id=batch_id, source=source, now=now)
    summary.add_rejects(rej["reason"])
    summary.added += counts["added"]
    summary.unchanged += counts["unchanged"]
    summary.late += counts["late"]
    return summary


def ingest_paths(
    store: FeedStore,
    paths: Iterable[str | os.PathLike[str]],
    *,
    stations: Any = None,
    layout: str = "auto",
    year: int | None = None,
    batch_id: int | None = None,
    now: datetime | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> IngestSummary:
    """Ingest every feed file of ``paths`` (files or folders, less ``exclude``); see :func:`ingest_file`."""
    total = IngestSummary(batch_id=batch_id)
    for f in feed_files(paths, exclude=exclude):
        total.merge(
            ingest_file(store, f, stations=stations, layout=layout, year=year, batch_id=batch_id, now=now)
        )
    return total


def ingest_packets(
    store: FeedStore,
    packets: Sequence[bytes],
    *,
    source: str,
    stations: Any = None,
    batch_id: int | None = None,
    now: datetime | None = None,
    first_number: int = 1,
) -> IngestSummary:
    """Archive and ingest HJ 212 packets received one by one (a TCP stream); see :func:`ingest_file`.

    Each packet is archived on its own (a packet sent twice adds nothing); the reject ``line`` is the packet's
    number in the stream, starting at ``first_number``.
    """
    summary = IngestSummary(batch_id=batch_id, sources=[source])
    if not packets:
        return summary
    raw_ids, new = store.archive_many(
        list(packets), source=source, kind="packet", layout="hj212", batch_id=batch_id
    )
    summary.packets += sum(new)
    summary.packets_already_ingested += len(new) - sum(new)
    numbered = [(first_number + i, p) for i, (p, n) in enumerate(zip(packets, new, strict=True)) if n]
    if not numbered:
        return summary
    raw_of = {first_number + i: r for i, r in enumerate(raw_ids)}
    mn_map, _ = station_lookup(stations)
    long, rejects, _ = packets_to_long(numbered, mn_map=mn_map)
    if len(rejects):
        rejects = rejects.assign(raw_id=rejects["line"].map(raw_of))
        store.add_rejects(rejects, source=source, batch_id=batch_id)
        summary.add_rejects(rejects["reason"])
    counts, rej = store.add_observations(
        long, raw_id=long["line"].map(raw_of).tolist(), batch_id=batch_id, source=source, now=now
    )
    summary.add_rejects(rej["reason"])
    summary.added += counts["added"]
    summary.unchanged += counts["unchanged"]
    summary.late += counts["late"]
    return summary
