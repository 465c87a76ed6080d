"""``basin watch``: ingest station feeds into a database, raise warnings, trace sources, notices, map."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import click

from basin._errors import SchemaError

_LAYOUTS = ["auto", "long", "wide", "national_export", "hj212"]


def _context(
    project_file: str | None,
    layer_paths: dict[str, Path | None],
    rules: Path | None,
    mn_table: Path | None = None,
) -> Any:
    """Read the layers (project file, then the explicit options) into a WatchContext."""
    from basin.io import read_layer
    from basin.watch.watcher import WatchContext

    ctx = WatchContext(rules=rules)
    specs: dict[str, Any] = {}
    from basin.project import find_project

    project = find_project(project_file)  # None: no --project and no ./basin.yml
    if project is not None:
        specs = project.layers.given()
        if ctx.rules is None and getattr(project.choices, "standard", None):
            ctx.standard = project.choices.standard
        flows = getattr(project.tables, "flows", None)
        if flows is not None:
            import pandas as pd

            ctx.flows = pd.read_csv(flows, encoding="utf-8-sig")
    for kind in ("stations", "rivers", "facilities", "admin"):
        path = layer_paths.get(kind)
        if path is not None:
            setattr(ctx, kind, read_layer(path, kind))
        elif kind in specs:
            spec = specs[kind]
            setattr(ctx, kind, read_layer(spec.path, kind, **spec.read_kwargs(kind)))
    if mn_table is not None:
        ctx.stations = _with_mn(ctx.stations, mn_table)
    if ctx.stations is None:
        ctx.skipped.append(
            "no stations layer: station codes are taken as they come (HJ 212 MN = station_id), no target "
            "classes; give --project with layers.stations or --stations"
        )
    if ctx.rivers is not None and ctx.admin is not None:
        from basin._errors import BasinError
        from basin.crossborder.sections import find_sections

        try:
            ctx.sections = find_sections(ctx.rivers, ctx.admin, level="province", stations=ctx.stations)
        except BasinError as exc:
            ctx.skipped.append(f"cross-border sections skipped: {exc}")
    elif ctx.rivers is not None:
        ctx.skipped.append("cross-border notices skipped: no admin layer (give layers.admin or --admin)")
    return ctx


def _with_mn(stations: Any, path: Path) -> Any:
    """Add the HJ 212 equipment codes of a table (columns mn, station_id) to the stations."""
    import pandas as pd

    from basin._errors import DataError

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{path}: cannot read the MN table: {' '.join(str(exc).split())[:200]}"
        raise DataError(msg) from exc
    lack = [c for c in ("mn", "station_id") if c not in table.columns]
    if lack:
        msg = f"{path}: MN table without column(s) {lack} (expected mn, station_id)"
        raise SchemaError(msg)
    dup = table["mn"][table["mn"].duplicated()]
    if len(dup):
        msg = f"{path}: MN code(s) listed twice: {sorted(set(dup))[:10]}"
        raise SchemaError(msg)
    if stations is None:
        return table[["station_id", "mn"]]
    unknown = sorted(set(table["station_id"]) - set(stations["station_id"].astype(str)))
    if unknown:
        msg = f"{path}: station_id(s) {unknown[:10]} are not in the stations layer"
        raise SchemaError(msg)
    mn = table.set_index("station_id")["mn"]
    return stations.assign(mn=stations["station_id"].astype(str).map(mn).fillna(""))


def _echo_summary(summary: dict[str, Any], echo: Any) -> None:
    ing = summary["ingest"]
    echo(
        f"ingested {ing['files']} file(s) ({ing['files_already_ingested']} already ingested), "
        f"{ing['packets']} packet(s): {ing['values_added']} value(s) added, "
        f"{ing['values_unchanged']} unchanged, "
        f"{ing['values_late']} late; {ing['rejected']} rejected"
        + (
            f" ({', '.join(f'{k} {v}' for k, v in ing['rejected_by_kind'].items())})"
            if ing["rejected"]
            else ""
        )
    )
    w = summary["warnings"]
    echo(
        f"warnings: {w['warnings_new']} new, {w['warnings_updated']} updated, {w['warnings_closed']} closed, "
        f"{summary['open_warnings']} open; {w['traced']} traced, {w['notices']} cross-border notice(s)"
    )
    for s in summary.get("skipped", []):
        echo(f"skipped: {s}")


@click.command("watch")
@click.argument("feeds", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--project", "project_file", help="Project file (basin.yml), or 'demo'; default ./basin.yml if present."
)
@click.option(
    "--db", help="Database URL (postgresql+psycopg://user@host/db) or SQLite file; default OUT/watch.sqlite."
)
@click.option("--listen", help="Receive HJ 212 packets over TCP on HOST:PORT (e.g. 127.0.0.1:6000).")
@click.option("--once", is_flag=True, help="One pass over FEED (the default without --interval; for cron).")
@click.option("--interval", type=float, help="Keep running: look for new files every S seconds.")
@click.option("--duration", type=float, help="Stop after S seconds (with --interval or --listen).")
@click.option("--max-packets", type=int, help="With --listen: stop after this many packets.")
@click.option(
    "--layout", type=click.Choice(_LAYOUTS), default="auto", show_default=True, help="Layout of FEED files."
)
@click.option("--year", type=int, help="National release export: year of the first row.")
@click.option(
    "--rules", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Warning rules YAML."
)
@click.option(
    "--mn",
    "mn_table",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of HJ 212 equipment codes (columns mn, station_id); default: the stations' mn column.",
)
@click.option(
    "--stations",
    type=click.Path(exists=True, path_type=Path),
    help="Stations layer (overrides the project's).",
)
@click.option(
    "--rivers", type=click.Path(exists=True, path_type=Path), help="Rivers layer (overrides the project's)."
)
@click.option("--facilities", type=click.Path(exists=True, path_type=Path), help="Facilities layer.")
@click.option(
    "--admin", type=click.Path(exists=True, path_type=Path), help="Admin layer (provinces, counties)."
)
@click.option(
    "-o",
    "--out",
    "outdir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder.",
)
def watch(  # noqa: C901 - one branch per mode
    feeds: tuple[Path, ...],
    project_file: str | None,
    db: str | None,
    listen: str | None,
    once: bool,
    interval: float | None,
    duration: float | None,
    max_packets: int | None,
    layout: str,
    year: int | None,
    rules: Path | None,
    mn_table: Path | None,
    stations: Path | None,
    rivers: Path | None,
    facilities: Path | None,
    admin: Path | None,
    outdir: Path,
) -> None:
    """Watch station feeds, raise warnings, trace their sources, write notices and map layers.

    Ingests FEED files (release export, HJ 212 packet files, long/wide tables; folders
    are scanned) or HJ 212 packets over TCP, evaluates the warning rules on what is new, traces the source of
    each new alarm upstream, and writes into OUT: warnings.csv, candidates.csv, notices.json/.md, rejects.csv,
    summary.json and the web-map layers map/warnings.geojson, map/candidates.geojson,
    map/traced_reaches.geojson.

    Every input is archived in the database (default OUT/watch.sqlite); the same file or packet twice adds
    nothing; bad input is kept in the rejects table with its reason and never stops the watcher.
    Exit code 1 when the run raised new warnings.

    \b
    Examples:
      basin watch feeds/ --project basin.yml -o out/watch              # once (cron)
      basin watch feeds/ --project basin.yml --interval 300 -o out/watch
      basin watch --listen 127.0.0.1:6000 --project basin.yml \\
        --db postgresql+psycopg://basin@db/basin -o out/watch
    """  # noqa: D301 - \b is click's no-rewrap marker
    from basin.watch.store import FeedStore
    from basin.watch.watcher import evaluate_batch, watch_once, write_outputs

    if once and interval is not None:
        msg = "--once and --interval exclude each other"
        raise click.UsageError(msg)
    if not feeds and listen is None:
        msg = "give FEED files or folders, or --listen HOST:PORT"
        raise click.UsageError(msg)
    if interval is not None and interval <= 0:
        msg = "--interval must be positive"
        raise click.UsageError(msg)
    missing = [str(f) for f in feeds if not f.exists()]
    if missing:
        msg = f"FEED not found: {', '.join(missing[:5])}"
        raise SchemaError(msg)
    ctx = _context(
        project_file,
        {"stations": stations, "rivers": rivers, "facilities": facilities, "admin": admin},
        rules,
        mn_table,
    )
    outdir.mkdir(parents=True, exist_ok=True)
    store = FeedStore(db or outdir / "watch.sqlite")
    new_warnings = 0
    try:
        if feeds:
            summary = watch_once(store, list(feeds), ctx, outdir, layout=layout, year=year)
            new_warnings += len(summary["new_warnings"])
            _echo_summary(summary, click.echo)
        if listen is not None:
            from basin.watch.listen import PacketListener, parse_listen

            host, port = parse_listen(listen)
            state = {"new": 0}

            def on_batch(batch_id: int, ingest: Any) -> None:
                res = evaluate_batch(store, batch_id, ctx)
                state["new"] += len(res["warnings_new"])
                summary = {
                    "batch_id": batch_id,
                    "ingest": ingest.to_dict(),
                    "warnings": {k: len(v) for k, v in res.items()},
                    "new_warnings": res["warnings_new"],
                    "notices": res["notices"],
                    "open_warnings": int((store.warnings()["status"] == "open").sum()),
                    "skipped": list(dict.fromkeys(ctx.skipped)),
                }
                write_outputs(store, ctx, outdir, summary)

            async def serve() -> Any:
                lst = PacketListener(
                    store,
                    host=host,
                    port=port,
                    stations=ctx.stations,
                    on_batch=on_batch,
                    max_packets=max_packets,
                    flush_interval=interval or 5.0,
                )
                h, p = await lst.start()
                click.echo(f"listening on {h}:{p} (HJ 212 packets; Ctrl-C stops)", err=True)
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, lst.stop)
                try:
                    return await lst.serve(duration=duration)
                finally:
                    for sig in (signal.SIGINT, signal.SIGTERM):
                        loop.remove_signal_handler(sig)

            stats = asyncio.run(serve())
            new_warnings += state["new"]
            d = stats.to_dict()
            click.echo(
                f"received {d['packets_received']} packet(s) on {d['connections']} connection(s), "
                f"{d['replies_sent']} answered, {d['packets_failing_checks']} failing checks; "
                f"{d['ingest_values_added']} value(s) added, {d['ingest_rejected']} rejected; "
                f"{state['new']} new warning(s)"
            )
        elif interval is not None:
            started = time.monotonic()
            try:
                while duration is None or time.monotonic() - started < duration:
                    time.sleep(
                        interval
                        if duration is None
                        else min(interval, max(0.0, duration - (time.monotonic() - started)))
                    )
                    summary = watch_once(store, list(feeds), ctx, outdir, layout=layout, year=year)
                    new_warnings += len(summary["new_warnings"])
                    if summary["ingest"]["files"] or summary["ingest"]["rejected"]:
                        _echo_summary(summary, click.echo)
            except KeyboardInterrupt:
                click.echo("stopped", err=True)
    finally:
        store.close()
    click.echo(f"outputs in {outdir}")
    if new_warnings:
        raise SystemExit(1)
