"""The feed store: a real database through SQLAlchemy Core (a SQLite file by default, PostgreSQL by URL).

Tables
------
``raw``           every input as received (file or packet bytes), its sha256 (unique) and source
``observations``  one value per (station_id, time, parameter), unique: the same value twice adds nothing
``rejects``       every input that could not be used: reason, line or packet number, the text, when received
``batches``       one row per ingest run (what is "new")
``warnings``      the warning episodes (one row per episode, extended and closed in place)
``candidates``    the traced source candidates of a warning
``notices``       the cross-border notices

Times are stored naive, in China Standard Time (as the feeds give them).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from basin._errors import DataError, SchemaError
from basin.watch.warnings import OBS_COLUMNS, WARNING_COLUMNS

__all__ = ["CST", "FeedStore", "now_cst", "sha256"]

CST = ZoneInfo("Asia/Shanghai")
CANDIDATE_COLUMNS = [
    "rank",
    "kind",
    "id",
    "name",
    "reach_id",
    "travel_time_h",
    "distance_km",
    "score",
    "evidence",
    "province",
    "county",
]

metadata = sa.MetaData()
raw_t = sa.Table(
    "raw",
    metadata,
    sa.Column("raw_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # file | packet
    sa.Column("layout", sa.String(32), nullable=False, default=""),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("batch_id", sa.Integer, nullable=True),
)
obs_t = sa.Table(
    "observations",
    metadata,
    sa.Column("station_id", sa.String(64), primary_key=True),
    sa.Column("time", sa.DateTime, primary_key=True),
    sa.Column("parameter", sa.String(32), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("flag", sa.String(8), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("raw_id", sa.Integer, nullable=True),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Column("batch_id", sa.Integer, nullable=True, index=True),
    sqlite_with_rowid=False,  # SQLite: rows live in the key's B-tree (one tree to update, not two)
)
rejects_t = sa.Table(
    "rejects",
    metadata,
    sa.Column("reject_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("raw_id", sa.Integer, nullable=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Column("packet", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("batch_id", sa.Integer, nullable=True, index=True),
)
batches_t = sa.Table(
    "batches",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("summary", sa.Text, nullable=False, default="{}"),
)
warnings_t = sa.Table(
    "warnings",
    metadata,
    sa.Column("warning_id", sa.String(128), primary_key=True),
    sa.Column("station_id", sa.String(64), nullable=False, index=True),
    sa.Column("parameter", sa.String(32), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("first_time", sa.DateTime, nullable=False),
    sa.Column("last_time", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("threshold", sa.Float, nullable=True),
    sa.Column("n_samples", sa.Integer, nullable=True),
    sa.Column("message_zh", sa.Text, nullable=False),
    sa.Column("message_en", sa.Text, nullable=False),
    sa.Column("created_batch", sa.Integer, nullable=True),
    sa.Column("updated_batch", sa.Integer, nullable=True),
)
candidates_t = sa.Table(
    "candidates",
    metadata,
    sa.Column("warning_id", sa.String(128), primary_key=True),
    sa.Column("rank", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("id", sa.String(128), nullable=False),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("reach_id", sa.String(128), nullable=True),
    sa.Column("travel_time_h", sa.Float, nullable=True),
    sa.Column("distance_km", sa.Float, nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("evidence", sa.Text, nullable=True),
    sa.Column("province", sa.Text, nullable=True),
    sa.Column("county", sa.Text, nullable=True),
    sa.Column("batch_id", sa.Integer, nullable=True),
)
notices_t = sa.Table(
    "notices",
    metadata,
    sa.Column("notice_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("warning_id", sa.String(128), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the notice as JSON (Chinese and English texts inside)
    sa.Column("batch_id", sa.Integer, nullable=True),
)


def now_cst() -> datetime:
    """Return the current time as naive China Standard Time (the store's convention)."""
    return datetime.now(CST).replace(tzinfo=None)


def sha256(data: bytes) -> str:
    """Return the hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _url(db: str | os.PathLike[str]) -> str:
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text)}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints, safe in WAL mode
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _py(v: Any) -> Any:
    """Numpy / pandas scalars -> plain Python for the database driver."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v).to_pydatetime()
    return v


class FeedStore:
    """The feed store (see the module docs for the tables).

    Parameters
    ----------
    db
        A SQLAlchemy URL (``postgresql+psycopg://user@host:port/db``, ``sqlite:///file``) or a file path (a
        SQLite file, created when missing).

    Raises
    ------
    DataError
        The database cannot be opened or its tables created.
    """

    def __init__(self, db: str | os.PathLike[str]) -> None:
        url = _url(db)
        try:
            self.engine: Engine = sa.create_engine(url, future=True)
        except (sa.exc.ArgumentError, ImportError) as exc:
            msg = f"database URL {url[:60]!r}: {exc}"
            raise DataError(msg) from exc
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            metadata.create_all(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            where = self.engine.url.render_as_string(hide_password=True)[:80]
            msg = f"database {where}: cannot open: {exc.args[0]}"
            raise DataError(msg) from exc

    def __repr__(self) -> str:
        return f"FeedStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> FeedStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _insert(self, table: sa.Table) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        return sa.insert(table)

    def _times(self, times: pd.Series) -> list[Any]:
        """Return times as the driver takes them: SQLAlchemy's SQLite text format, else datetime objects."""
        t = pd.to_datetime(times)
        if self.dialect == "sqlite":
            return t.dt.strftime("%Y-%m-%d %H:%M:%S.%f").to_numpy(object).tolist()
        return list(t.dt.to_pydatetime())

    def _executemany(
        self, conn: Any, table: sa.Table, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert many rows at the driver level, skipping rows whose key is already stored.

        SQLAlchemy Core's executemany builds a parameter dict per row; at 10^5 rows a second that is most of
        the cost, so the rows go to the DB-API ``executemany`` as tuples (same SQL as the Core insert with
        ``on_conflict_do_nothing``; tested against it on SQLite and PostgreSQL).
        """
        if not rows:
            return
        q = self.engine.dialect.identifier_preparer
        cols = ", ".join(q.quote(c) for c in columns)
        name = q.quote(table.name)
        if self.dialect == "sqlite":
            sql = f"INSERT OR IGNORE INTO {name} ({cols}) VALUES ({', '.join('?' * len(columns))})"
        elif self.dialect == "postgresql":
            ph = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {name} ({cols}) VALUES ({ph}) ON CONFLICT DO NOTHING"
        else:
            conn.execute(sa.insert(table), [dict(zip(columns, r, strict=True)) for r in rows])
            return
        conn.exec_driver_sql(sql, rows)

    # ------------------------------------------------------------------------------------------- batches
    def begin_batch(self) -> int:
        """Open an ingest batch and return its id."""
        with self.engine.begin() as conn:
            res = conn.execute(sa.insert(batches_t).values(started_at=now_cst(), summary="{}"))
            key = res.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_batch(self, batch_id: int, summary: dict[str, Any]) -> None:
        """Close a batch with its summary (JSON)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(batches_t)
                .where(batches_t.c.batch_id == batch_id)
                .values(finished_at=now_cst(), summary=json.dumps(summary, ensure_ascii=False, default=str))
            )

    # ------------------------------------------------------------------------------------------------ raw
    def has_raw(self, digest: str) -> bool:
        """Return True when input with this sha256 is already archived."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(raw_t.c.raw_id).where(raw_t.c.sha256 == digest)).first() is not None

    def archive(
        self,
        content: bytes,
        *,
        source: str,
        kind: str = "file",
        layout: str = "",
        batch_id: int | None = None,
    ) -> tuple[int, bool]:
        """Archive input as received; return ``(raw_id, new)`` (``new`` False when already archived)."""
        ids, new = self.archive_many([content], source=source, kind=kind, layout=layout, batch_id=batch_id)
        return ids[0], bool(new[0])

    def archive_many(
        self,
        contents: Sequence[bytes],
        *,
        source: str,
        kind: str = "packet",
        layout: str = "",
        batch_id: int | None = None,
    ) -> tuple[list[int], list[bool]]:
        """Archive many inputs (packets); return their raw ids and whether each was new."""
        digests = [sha256(c) for c in contents]
        now = now_cst()
        uniq = list(dict.fromkeys(digests))
        with self.engine.begin() as conn:
            known = self._raw_ids(conn, uniq)
            first = {d: c for d, c in zip(digests, contents, strict=True) if d not in known}
            if first:
                rows = [
                    {
                        "sha256": d,
                        "source": source,
                        "kind": kind,
                        "layout": layout,
                        "received_at": now,
                        "size": len(c),
                        "content": c,
                        "batch_id": batch_id,
                    }
                    for d, c in first.items()
                ]
                stmt = self._insert(raw_t)
                if self.dialect in ("sqlite", "postgresql"):
                    stmt = stmt.on_conflict_do_nothing()
                conn.execute(stmt, rows)
            ids = self._raw_ids(conn, uniq)
        seen: set[str] = set()
        new = []
        for d in digests:
            new.append(d not in known and d not in seen)
            seen.add(d)
        return [ids[d] for d in digests], new

    @staticmethod
    def _raw_ids(conn: Any, digests: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in range(0, len(digests), 500):
            part = digests[i : i + 500]
            q = sa.select(raw_t.c.sha256, raw_t.c.raw_id).where(raw_t.c.sha256.in_(part))
            out.update({r[0]: int(r[1]) for r in conn.execute(q)})
        return out

    def raw(self, raw_id: int) -> bytes:
        """Return the archived bytes of an input."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(raw_t.c.content).where(raw_t.c.raw_id == raw_id)).first()
        if row is None:
            msg = f"no archived input with raw_id {raw_id}"
            raise DataError(msg)
        return bytes(row[0])

    # --------------------------------------------------------------------------------------- observations
    def add_observations(
        self,
        long: pd.DataFrame,
        *,
        raw_id: int | Sequence[int] | None = None,
        batch_id: int | None = None,
        source: str = "",
        now: datetime | None = None,
        future_tolerance: timedelta = timedelta(minutes=10),
    ) -> tuple[dict[str, int], pd.DataFrame]:
        """Store new values; return counts and the rejected rows (also written to ``rejects``).

        A value already stored with the same value and flag is unchanged (adds nothing); a value for a stored
        key with a *different* value or flag is rejected (duplicate timestamp), as is a time later than
        ``now`` + ``future_tolerance`` (future timestamp). Late values (older than the newest value stored for
        their station) are accepted and counted.

        Returns
        -------
        (counts, rejects)
            counts: ``added``, ``unchanged``, ``duplicate``, ``future``, ``late``; rejects: line, reason,
            packet, raw_id.
        """
        missing = [c for c in ("station_id", "time", "parameter", "value") if c not in long.columns]
        if missing:
            msg = f"observations without column(s) {missing}"
            raise SchemaError(msg)
        df = long.copy()
        n = len(df)
        df["flag"] = df["flag"].fillna("N").astype(str) if "flag" in df.columns else "N"
        df["status"] = df["status"].fillna("").astype(str) if "status" in df.columns else ""
        df["line"] = df["line"] if "line" in df.columns else None
        if raw_id is None:
            df["raw_id"] = pd.Series(pd.NA, index=df.index, dtype="Int64")
        elif isinstance(raw_id, (int, np.integer)):
            df["raw_id"] = np.full(n, int(raw_id), dtype=np.int64)
        else:
            df["raw_id"] = list(raw_id)
        df["time"] = pd.to_datetime(df["time"]).astype("datetime64[ns]")
        counts = {"added": 0, "unchanged": 0, "duplicate": 0, "future": 0, "late": 0}
        rejects: list[dict[str, Any]] = []
        if n == 0:
            return counts, pd.DataFrame(columns=["line", "reason", "packet", "raw_id"])
        limit = pd.Timestamp((now or now_cst()) + future_tolerance)
        fut = (df["time"] > limit).to_numpy()
        for r in df[fut].itertuples():
            rejects.append(
                {
                    "line": r.line,
                    "raw_id": r.raw_id,
                    "reason": (
                        f"future timestamp: {r.parameter} of station {r.station_id} at {r.time} "
                        "is later than "
                        f"now ({limit - future_tolerance:%Y-%m-%d %H:%M} CST)"
                    ),
                    "packet": f"{r.station_id},{r.time},{r.parameter},{r.value}",
                }
            )
        counts["future"] = int(fut.sum())
        df = df[~fut]
        key = ["station_id", "time", "parameter"]
        df["station_id"] = df["station_id"].astype(str)
        df["parameter"] = df["parameter"].astype(str)
        df["value"] = df["value"].astype(float)
        with self.engine.begin() as conn:
            existing = self._existing(conn, df)
            if len(existing):
                m = df.merge(existing, on=key, how="left")
                has = m["old_flag"].notna().to_numpy()
                same = (
                    has
                    & (m["old_flag"] == m["flag"]).to_numpy()
                    & (
                        (m["old_value"] == m["value"]) | (m["old_value"].isna() & m["value"].isna())
                    ).to_numpy()
                )
                for r in m[has & ~same].itertuples():
                    rejects.append(
                        {
                            "line": r.line,
                            "raw_id": r.raw_id,
                            "reason": (
                                f"duplicate timestamp: {r.parameter} of station {r.station_id} at {r.time} "
                                "already "
                                f"stored with value {r.old_value:g} flag {r.old_flag} (raw #{r.old_raw}); "
                                f"new value {r.value:g} flag {r.flag}"
                            ),
                            "packet": f"{r.station_id},{r.time},{r.parameter},{r.value}",
                        }
                    )
                counts["unchanged"] = int(same.sum())
                counts["duplicate"] = int((has & ~same).sum())
                new = df[~has]
            else:
                new = df
            if len(new):
                latest = self._latest(conn, new)
                if len(latest):
                    lt = new.merge(latest, on="station_id", how="left")
                    counts["late"] = int((lt["time"] < lt["latest"]).sum())

                def plain(col: pd.Series) -> list[Any]:
                    if pd.api.types.is_integer_dtype(col.dtype) and not col.isna().any():
                        return col.tolist()  # plain ints already
                    c = col.astype(object)
                    return [_py(x) for x in c.where(c.notna(), None).tolist()]

                cols = [
                    "station_id",
                    "time",
                    "parameter",
                    "value",
                    "flag",
                    "status",
                    "raw_id",
                    "line",
                    "batch_id",
                ]
                rows = list(
                    zip(
                        new["station_id"].to_numpy(object).tolist(),
                        self._times(new["time"]),
                        new["parameter"].to_numpy(object).tolist(),
                        new["value"].to_numpy(float).tolist(),
                        new["flag"].astype(str).to_numpy(object).tolist(),
                        new["status"].astype(str).to_numpy(object).tolist(),
                        plain(new["raw_id"]),
                        plain(new["line"]),
                        [batch_id] * len(new),
                        strict=True,
                    )
                )
                self._executemany(conn, obs_t, cols, rows)
                counts["added"] = len(rows)
            rej = pd.DataFrame(rejects, columns=["line", "reason", "packet", "raw_id"])
            if len(rej):
                self._add_rejects(conn, rej, source=source, batch_id=batch_id)
        return counts, rej

    def _existing(self, conn: Any, df: pd.DataFrame) -> pd.DataFrame:
        """Return the stored rows of the stations of ``df`` in its time range (old_value, old_flag, ...)."""
        cols = ["station_id", "time", "parameter", "old_value", "old_flag", "old_raw"]
        if df.empty:
            return pd.DataFrame(columns=cols)
        lo, hi = df["time"].min().to_pydatetime(), df["time"].max().to_pydatetime()
        stations = sorted(pd.unique(df["station_id"].to_numpy(object)).tolist())
        parts = []
        for i in range(0, len(stations), 500):
            q = sa.select(
                obs_t.c.station_id,
                obs_t.c.time,
                obs_t.c.parameter,
                obs_t.c.value,
                obs_t.c.flag,
                obs_t.c.raw_id,
            ).where(obs_t.c.station_id.in_(stations[i : i + 500]), obs_t.c.time >= lo, obs_t.c.time <= hi)
            parts.append(pd.DataFrame(conn.execute(q).all(), columns=cols))
        out = pd.concat(parts, ignore_index=True)
        out["station_id"] = out["station_id"].astype(str)
        out["parameter"] = out["parameter"].astype(str)
        out["time"] = pd.to_datetime(out["time"]).astype("datetime64[ns]")
        out["old_value"] = out["old_value"].astype(float)
        out["old_raw"] = out["old_raw"].astype("Int64")
        return out

    def _latest(self, conn: Any, df: pd.DataFrame) -> pd.DataFrame:
        """Return the newest stored time of each station of ``df`` (one index lookup per station)."""
        stations = sorted(pd.unique(df["station_id"].astype(str).to_numpy(object)).tolist())
        q = sa.select(sa.func.max(obs_t.c.time)).where(obs_t.c.station_id == sa.bindparam("s"))
        rows = [(s_, conn.execute(q, {"s": s_}).scalar()) for s_ in stations]
        out = pd.DataFrame(rows, columns=["station_id", "latest"])
        out["latest"] = pd.to_datetime(out["latest"]).astype("datetime64[ns]")
        return out.dropna()

    def observations(
        self,
        *,
        stations: Iterable[str] | None = None,
        parameters: Iterable[str] | None = None,
        start: Any = None,
        end: Any = None,
    ) -> pd.DataFrame:
        """Return stored values as the watcher's observations table.

        Columns station_id (str), time (datetime64[ns], naive CST), parameter, value (float), flag, status,
        sorted by station, parameter and time.
        """
        q = sa.select(*[obs_t.c[c] for c in OBS_COLUMNS])
        if stations is not None:
            q = q.where(obs_t.c.station_id.in_(list(stations)))
        if parameters is not None:
            q = q.where(obs_t.c.parameter.in_(list(parameters)))
        if start is not None:
            q = q.where(obs_t.c.time >= pd.Timestamp(start).to_pydatetime())
        if end is not None:
            q = q.where(obs_t.c.time <= pd.Timestamp(end).to_pydatetime())
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        df = pd.DataFrame(rows, columns=OBS_COLUMNS)
        df["station_id"] = df["station_id"].astype(str)
        df["time"] = pd.to_datetime(df["time"]).astype("datetime64[ns]")
        df["value"] = df["value"].astype(float)
        df["flag"] = df["flag"].astype(str)
        df["status"] = df["status"].astype(str)
        return df.sort_values(["station_id", "parameter", "time"], kind="stable").reset_index(drop=True)

    def changed(self, batch_id: int) -> pd.DataFrame:
        """Return the (station_id, parameter) pairs with values added in a batch, with their time range."""
        q = (
            sa.select(
                obs_t.c.station_id,
                obs_t.c.parameter,
                sa.func.min(obs_t.c.time).label("start"),
                sa.func.max(obs_t.c.time).label("end"),
                sa.func.count().label("n"),
            )
            .where(obs_t.c.batch_id == batch_id)
            .group_by(obs_t.c.station_id, obs_t.c.parameter)
        )
        with self.engine.connect() as conn:
            df = pd.DataFrame(conn.execute(q).all(), columns=["station_id", "parameter", "start", "end", "n"])
        for c in ("start", "end"):
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        return df

    def count(self, table: str) -> int:
        """Return the number of rows of a table."""
        t = metadata.tables[table]
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())

    # -------------------------------------------------------------------------------------------- rejects
    def add_rejects(
        self, rejects: pd.DataFrame, *, source: str, raw_id: int | None = None, batch_id: int | None = None
    ) -> int:
        """Keep rejected input (columns line, reason, packet[, raw_id]); return how many."""
        if rejects.empty:
            return 0
        rej = rejects.copy()
        if "raw_id" not in rej.columns:
            rej["raw_id"] = raw_id
        with self.engine.begin() as conn:
            self._add_rejects(conn, rej, source=source, batch_id=batch_id)
        return len(rej)

    def _add_rejects(self, conn: Any, rej: pd.DataFrame, *, source: str, batch_id: int | None) -> None:
        now = now_cst()
        rows = [
            {
                "raw_id": _py(r.raw_id),
                "source": source,
                "line": _py(r.line),
                "packet": str(r.packet),
                "reason": str(r.reason),
                "received_at": now,
                "batch_id": batch_id,
            }
            for r in rej.itertuples()
        ]
        conn.execute(sa.insert(rejects_t), rows)

    def rejects(self, *, batch_id: int | None = None) -> pd.DataFrame:
        """Return the kept rejects (all, or of one batch)."""
        q = sa.select(rejects_t).order_by(rejects_t.c.reject_id)
        if batch_id is not None:
            q = q.where(rejects_t.c.batch_id == batch_id)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in rejects_t.columns])

    # ------------------------------------------------------------------------------------------- warnings
    def warnings(self, *, status: str | None = None, stations: Iterable[str] | None = None) -> pd.DataFrame:
        """Return stored warnings (the :func:`basin.watch.warnings.evaluate_warnings` columns)."""
        q = sa.select(*[warnings_t.c[c] for c in WARNING_COLUMNS])
        if status is not None:
            q = q.where(warnings_t.c.status == status)
        if stations is not None:
            q = q.where(warnings_t.c.station_id.in_(list(stations)))
        with self.engine.connect() as conn:
            df = pd.DataFrame(conn.execute(q).all(), columns=WARNING_COLUMNS)
        for c in ("first_time", "last_time"):
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        return df

    def save_warnings(
        self, warnings: pd.DataFrame, *, batch_id: int | None = None
    ) -> tuple[list[str], list[str]]:
        """Insert new warnings and update known ones (extended or closed); return (new ids, updated ids)."""
        if warnings.empty:
            return [], []
        missing = [c for c in WARNING_COLUMNS if c not in warnings.columns]
        if missing:
            msg = f"warnings without column(s) {missing}"
            raise SchemaError(msg)
        ids = [str(x) for x in warnings["warning_id"]]
        with self.engine.begin() as conn:
            known = {
                r[0]
                for i in range(0, len(ids), 500)
                for r in conn.execute(
                    sa.select(warnings_t.c.warning_id).where(warnings_t.c.warning_id.in_(ids[i : i + 500]))
                )
            }
            new_ids, upd_ids = [], []
            for rec in warnings[WARNING_COLUMNS].to_dict("records"):
                row = {k: _py(v) for k, v in rec.items()}
                row["warning_id"] = str(row["warning_id"])
                if row["warning_id"] in known:
                    row["updated_batch"] = batch_id
                    wid = row.pop("warning_id")
                    conn.execute(sa.update(warnings_t).where(warnings_t.c.warning_id == wid).values(**row))
                    upd_ids.append(wid)
                else:
                    row["created_batch"] = batch_id
                    row["updated_batch"] = batch_id
                    conn.execute(sa.insert(warnings_t).values(**row))
                    new_ids.append(row["warning_id"])
        return new_ids, upd_ids

    def save_candidates(
        self, warning_id: str, candidates: pd.DataFrame, *, batch_id: int | None = None
    ) -> None:
        """Replace the traced candidates of a warning."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(candidates_t).where(candidates_t.c.warning_id == warning_id))
            if candidates.empty:
                return
            rows = []
            for rec in candidates.to_dict("records"):
                row = {c: _py(rec.get(c)) for c in CANDIDATE_COLUMNS}
                for c in ("id", "name", "reach_id", "evidence", "province", "county", "kind"):
                    if row[c] is not None:
                        row[c] = str(row[c])
                row["warning_id"] = warning_id
                row["batch_id"] = batch_id
                rows.append(row)
            conn.execute(sa.insert(candidates_t), rows)

    def candidates(self, warning_id: str | None = None) -> pd.DataFrame:
        """Return stored candidates (all, or of one warning), ranked."""
        q = sa.select(candidates_t).order_by(candidates_t.c.warning_id, candidates_t.c.rank)
        if warning_id is not None:
            q = q.where(candidates_t.c.warning_id == warning_id)
        with self.engine.connect() as conn:
            return pd.DataFrame(
                conn.execute(q).mappings().all(), columns=[c.name for c in candidates_t.columns]
            )

    def save_notice(self, warning_id: str, notice: dict[str, Any], *, batch_id: int | None = None) -> bool:
        """Keep a cross-border notice (one per warning); return False when the warning already has one."""
        body = json.dumps(notice, ensure_ascii=False, default=str)
        with self.engine.begin() as conn:
            if conn.execute(
                sa.select(notices_t.c.notice_id).where(notices_t.c.warning_id == warning_id)
            ).first():
                conn.execute(
                    sa.update(notices_t).where(notices_t.c.warning_id == warning_id).values(body=body)
                )
                return False
            conn.execute(
                sa.insert(notices_t).values(
                    warning_id=warning_id, created_at=now_cst(), body=body, batch_id=batch_id
                )
            )
        return True

    def notices(self) -> list[dict[str, Any]]:
        """Return the stored notices (their JSON bodies, with warning_id and created_at)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(notices_t).order_by(notices_t.c.notice_id)).mappings().all()
        return [
            {**json.loads(r["body"]), "warning_id": r["warning_id"], "created_at": str(r["created_at"])}
            for r in rows
        ]
