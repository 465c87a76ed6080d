"""``basin crossborder``: sections, audit and compensation of cross-border rivers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from basin.cli import mapping_opt, out_dir_opt

_in = click.Path(exists=True, dir_okay=True, path_type=Path)


def _layer_opts(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--rivers", type=_in, help="Rivers layer (default: demo data)."),
        click.option("--admin", type=_in, help="Admin layer, provinces and counties (default: demo data)."),
        click.option("--stations", type=_in, help="Monitoring stations (default: demo data)."),
        click.option(
            "--level",
            type=click.Choice(["province", "county"]),
            default="province",
            show_default=True,
            help="Boundaries between provinces or between counties.",
        ),
        click.option(
            "--merge-tolerance",
            "merge_tolerance_m",
            type=click.FloatRange(min=0),
            default=2000.0,
            show_default=True,
            help="Merge crossings of one river closer than this (m, along the river).",
        ),
        click.option(
            "--boundary-tolerance",
            "boundary_tolerance_m",
            type=click.FloatRange(min=0),
            default=1000.0,
            show_default=True,
            help="A river this close to a shared boundary runs along it (m).",
        ),
        click.option(
            "--boundary-min-length",
            "boundary_min_length_m",
            type=click.FloatRange(min=0),
            default=10000.0,
            show_default=True,
            help="Shortest boundary reach reported (m).",
        ),
        click.option(
            "--station-tolerance",
            "station_tolerance_m",
            type=click.FloatRange(min=0),
            default=30000.0,
            show_default=True,
            help="Farthest station assigned to a section, along the river (m).",
        ),
        mapping_opt,
    ]
    for o in reversed(opts):
        f = o(f)
    return f


_wq_opt = click.option(
    "--wq", type=_in, help="Water-quality series, any format read_wq reads (default: demo data)."
)


@click.group()
def crossborder() -> None:
    """Cross-border river sections: find them, audit them against targets, settle compensation."""


@crossborder.command("sections")
@_layer_opts
@out_dir_opt
def sections_cmd(outdir: Path, mapping: Path | None, level: str, **kw: Any) -> None:
    """Find every place a river crosses or runs along a boundary; write sections.csv and sections.geojson."""
    from basin.crossborder.pipeline import run_sections

    files = run_sections(outdir, mapping=mapping, level=level, **kw)
    for label, path in files.items():
        click.echo(f"{label}: {path}")


@crossborder.command("audit")
@_layer_opts
@_wq_opt
@click.option("--period", type=click.Choice(["month", "year"]), default="month", show_default=True)
@out_dir_opt
def audit_cmd(outdir: Path, mapping: Path | None, level: str, period: str, **kw: Any) -> None:
    """Audit every section against its targets; exit 1 when any assessed section misses its target."""
    from basin.crossborder.pipeline import failing, run_audit

    files, audit = run_audit(outdir, period=period, mapping=mapping, level=level, **kw)
    for label, path in files.items():
        click.echo(f"{label}: {path}")
    bad = failing(audit)
    assessed = int((audit["status"] == "assessed").sum())
    click.echo(
        f"{audit['section_id'].nunique()} section(s), {assessed} section-period(s) assessed, "
        f"{len(bad)} out of target in {bad['section_id'].nunique()} section(s)"
    )
    if len(bad):
        sys.exit(1)


@crossborder.command("compensate")
@_layer_opts
@_wq_opt
@click.option(
    "--scheme",
    default="chongqing_target_trend",
    show_default=True,
    help="Scheme name (chongqing_target_trend, xinanjiang_index, demo_index) or a YAML file.",
)
@out_dir_opt
def compensate_cmd(outdir: Path, mapping: Path | None, level: str, scheme: str, **kw: Any) -> None:
    """Settle a compensation scheme per section and period: ledger.csv and summary.csv."""
    from basin.crossborder.pipeline import run_compensate

    files, ledger = run_compensate(outdir, scheme=scheme, mapping=mapping, level=level, **kw)
    for label, path in files.items():
        click.echo(f"{label}: {path}")
    from basin.crossborder.compensation import NO_DATA_OUTCOMES

    missing = int(ledger["outcome"].isin(NO_DATA_OUTCOMES).sum())
    click.echo(
        f"{len(ledger)} ledger row(s), {int(ledger['payer'].notna().sum())} transfer(s), "
        f"{missing} row(s) without data, station, target or baseline"
    )
