r"""Receive HJ 212 packets over TCP (asyncio), answer where the protocol asks, ingest them in batches.

Each connection is read line by line (a packet ends with ``\r\n``) through a bounded
:class:`~basin.waterquality.feeds.hj212.PacketReader`. A packet whose CRC checks and whose flag bit A
asks for an answer is answered at once (CN 9014 data response,
:func:`~basin.waterquality.feeds.hj212.reply_for`); a packet that fails the check gets no answer (the
sender retries, as the protocol foresees) and is kept in the rejects table with its reason. Packets are
ingested in batches (every ``flush_every`` packets or ``flush_interval`` seconds) by one worker thread,
so the event loop never waits on the database.

Bounds: ``max_connections`` at a time (more are closed on accept), ``max_line`` bytes per packet line,
``idle_timeout`` seconds without data closes a connection, and ``max_packets`` / ``duration`` end the run.
:meth:`PacketListener.stop` (also on SIGINT/SIGTERM from the CLI) ends it cleanly: the server stops accepting,
connections are closed, the last batch is ingested.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from basin._errors import SchemaError
from basin.watch.ingest import IngestSummary, ingest_packets
from basin.watch.store import FeedStore
from basin.waterquality.feeds.hj212 import PacketError, PacketReader, parse_packet, reply_for

__all__ = ["ListenStats", "PacketListener", "parse_listen"]

log = logging.getLogger(__name__)


def parse_listen(text: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``127.0.0.1:6000``; port 0 = any free port).

    Raises
    ------
    SchemaError
        Not HOST:PORT, or a port outside 0-65535.
    """
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        msg = f"--listen {str(text)[:60]!r}: expected HOST:PORT, e.g. 127.0.0.1:6000"
        raise SchemaError(msg)
    return host.strip("[]"), int(port)


@dataclass
class ListenStats:
    """What a listening run received and did."""

    connections: int = 0
    refused: int = 0
    packets: int = 0
    replies: int = 0
    bad_packets: int = 0
    batches: int = 0
    ingest: IngestSummary = field(default_factory=IngestSummary)

    def to_dict(self) -> dict[str, Any]:
        """Return the counts as JSON-ready data."""
        return {
            "connections": self.connections,
            "refused_connections": self.refused,
            "packets_received": self.packets,
            "replies_sent": self.replies,
            "packets_failing_checks": self.bad_packets,
            "batches": self.batches,
            **{f"ingest_{k}": v for k, v in self.ingest.to_dict().items() if k != "batch_id"},
        }


class PacketListener:
    """An HJ 212 TCP receiver that feeds a :class:`FeedStore` (see the module docs).

    Parameters
    ----------
    store
        Where packets go.
    host, port
        Address to listen on (port 0: a free port, see :attr:`address` after :meth:`start`).
    stations
        Stations table with ``station_id`` and ``mn`` (unknown MN are rejected).
    on_batch
        Called in the worker thread after each ingested batch with ``(batch_id, summary)`` (the watcher
        evaluates the warning rules there).
    """

    def __init__(
        self,
        store: FeedStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stations: Any = None,
        on_batch: Callable[[int, IngestSummary], None] | None = None,
        max_connections: int = 64,
        max_line: int = 8192,
        idle_timeout: float = 600.0,
        max_packets: int | None = None,
        flush_every: int = 1000,
        flush_interval: float = 5.0,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.host, self.port = host, port
        self.stations = stations
        self.on_batch = on_batch
        self.max_connections = max_connections
        self.max_line = max_line
        self.idle_timeout = idle_timeout
        self.max_packets = max_packets
        self.flush_every = flush_every
        self.flush_interval = flush_interval
        self.now = now
        self.stats = ListenStats()
        self.address: tuple[str, int] | None = None
        self._pending: list[bytes] = []
        self._number = 0  # packets received so far (the reject "line" of a packet is its number)
        self._first_pending = 1
        self._server: asyncio.Server | None = None
        self._stop: asyncio.Event | None = None
        self._conns: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="basin-ingest")
        self._flush_lock: asyncio.Lock | None = None

    async def start(self) -> tuple[str, int]:
        """Start listening; return the bound ``(host, port)``."""
        self._stop = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._server = await asyncio.start_server(self._handle, self.host, self.port, limit=self.max_line * 2)
        sock = self._server.sockets[0].getsockname()
        self.address = (str(sock[0]), int(sock[1]))
        return self.address

    def stop(self) -> None:
        """Ask the run to end (safe to call from a signal handler in the loop's thread)."""
        if self._stop is not None:
            self._stop.set()

    async def serve(self, *, duration: float | None = None) -> ListenStats:
        """Serve until :meth:`stop`, ``max_packets`` or ``duration`` seconds; return the stats."""
        if self._server is None:
            await self.start()
        assert self._stop is not None
        ticker = asyncio.create_task(self._tick())
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=duration)
        except TimeoutError:
            pass
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await self._shutdown()
        return self.stats

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in list(self._writers):
            w.close()  # the handlers see end-of-file and finish their lines
        if self._conns:
            _done, pending = await asyncio.wait(list(self._conns), timeout=10)
            for t in pending:  # a handler stuck in the database: cancel it last
                t.cancel()
        await self._server.wait_closed()
        await self._flush()
        self._executor.shutdown(wait=True)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            await self._flush()

    async def _flush(self) -> None:
        assert self._flush_lock is not None
        async with self._flush_lock:
            if not self._pending:
                return
            batch, first = self._pending, self._first_pending
            self._pending = []
            self._first_pending = self._number + 1
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._ingest, batch, first)

    def _ingest(self, packets: list[bytes], first: int) -> None:
        batch_id = self.store.begin_batch()
        source = f"tcp:{self.address[0]}:{self.address[1]}" if self.address else "tcp"
        summary = ingest_packets(
            self.store,
            packets,
            source=source,
            stations=self.stations,
            batch_id=batch_id,
            now=self.now() if self.now else None,
            first_number=first,
        )
        self.store.finish_batch(batch_id, summary.to_dict())
        self.stats.batches += 1
        self.stats.ingest.merge(summary)
        if self.on_batch is not None:
            self.on_batch(batch_id, summary)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if len(self._conns) >= self.max_connections:
            self.stats.refused += 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            return
        assert task is not None
        self._conns.add(task)
        self._writers.add(writer)
        self.stats.connections += 1
        pr = PacketReader(max_buffer=self.max_line)
        try:
            while not (self._stop is not None and self._stop.is_set()):
                try:
                    data = await asyncio.wait_for(reader.read(65536), timeout=self.idle_timeout)
                except TimeoutError:
                    break
                if not data:
                    break
                await self._lines(pr.feed_lines(data), writer)
            await self._lines(pr.close_lines(), writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _lines(self, lines: Any, writer: asyncio.StreamWriter) -> None:
        for _n, line in lines:
            self._number += 1
            self.stats.packets += 1
            try:
                p = parse_packet(line)
            except PacketError:
                self.stats.bad_packets += 1  # no answer: the sender retries; the reason goes to the rejects
            else:
                ack = reply_for(p)
                if ack is not None:
                    writer.write(ack)
                    self.stats.replies += 1
            self._pending.append(line)
            if len(self._pending) >= self.flush_every:
                await writer.drain()
                await self._flush()  # back-pressure: the reader waits while the batch is stored
            if self.max_packets is not None and self._number >= self.max_packets:
                self.stop()
                break
        await writer.drain()
