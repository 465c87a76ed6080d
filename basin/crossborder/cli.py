"""``basin crossborder``: sections, audit and compensation of cross-border rivers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from basin._cli_common import (
    build_project,
    common,
    force_opt,
    layer_options,
    out_dir_opt,
    period_opt,
    print_files,
    require_layers,
    run_steps,
    wq_opt,
)

_level = click.option(
    "--level",
    type=click.Choice(["province", "county"]),
    default=None,
    help="Boundaries between provinces or between counties (default: the project's, province).",
)


def _tolerances(f: Any) -> Any:
    for name, default, text in reversed(
        [
            ("merge-tolerance", 2000.0, "Merge crossings of one river closer than this (m, along the river)."),
            ("boundary-tolerance", 1000.0, "A river this close to a shared boundary runs along it (m)."),
            ("boundary-min-length", 10000.0, "Shortest boundary reach reported (m)."),
            ("station-tolerance", 30000.0, "Farthest station assigned to a section, along the river (m)."),
        ]
    ):
        f = click.option(
            f"--{name}", f"{name.replace('-', '_')}_m", type=click.FloatRange(min=0), default=None,
            help=f"{text} Default {default:g}.",
        )(f)
    return f


def _project(project_file: str | None, kw: dict[str, Any], **choices: Any) -> Any:
    for name in ("merge_tolerance_m", "boundary_tolerance_m", "boundary_min_length_m", "station_tolerance_m"):
        choices[name] = kw.pop(name, None)
    project = build_project(
        project_file,
        layers={k: kw.pop(f"layer_{k}") for k in ("rivers", "admin", "stations")},
        mapping=kw.pop("mapping"),
        crs=kw.pop("crs"),
        encoding=kw.pop("encoding"),
        wq=kw.pop("wq_path", None),
        choices={f"crossborder.{k}": v for k, v in choices.items()},
    )
    require_layers(project, ["rivers", "admin"], command="crossborder")
    return project


@click.group()
def crossborder() -> None:
    """Cross-border river sections: find them, audit them against targets, settle compensation."""


@crossborder.command("sections")
@common
@layer_options("rivers", "admin", "stations")
@_tolerances
@_level
@force_opt
@out_dir_opt
def sections_cmd(project_file: str | None, level: str | None, force: bool, outdir: Path, **kw: Any) -> None:
    """Find every place a river crosses or runs along a boundary; write sections.csv and sections.geojson."""
    project = _project(project_file, kw, level=level)
    project.water_quality = None  # sections only
    print_files(run_steps(project, ["crossborder"], outdir, force=force))


@crossborder.command("audit")
@common
@layer_options("rivers", "admin", "stations")
@_tolerances
@wq_opt
@_level
@period_opt
@force_opt
@out_dir_opt
def audit_cmd(project_file: str | None, level: str | None, period: str | None, force: bool, outdir: Path,
              **kw: Any) -> None:
    """Audit every section against its targets (and settle the project's schemes); exit 1 when any misses it."""
    from basin._errors import DataError
    from basin.crossborder.audit import failing

    if period not in (None, "month", "year"):
        msg = f"--period {period}: the cross-border audit is by month or year"
        raise DataError(msg)
    project = _project(project_file, kw, level=level, period=period)
    res = run_steps(project, ["crossborder"], outdir, force=force)
    print_files(res)
    audit = res.crossborder.audit
    if audit is None:
        msg = "no audit: the cross-border audit needs water-quality data (--wq FILE) and stations (--stations FILE)"
        raise DataError(msg)
    bad = failing(audit)
    assessed = int((audit["status"] == "assessed").sum())
    click.echo(
        f"{audit['section_id'].nunique()} section(s), {assessed} section-period(s) assessed, "
        f"{len(bad)} out of target in {bad['section_id'].nunique()} section(s)"
    )
    if len(bad):
        sys.exit(1)


@crossborder.command("compensate")
@common
@layer_options("rivers", "admin", "stations")
@_tolerances
@wq_opt
@_level
@click.option(
    "--scheme",
    "schemes",
    multiple=True,
    help="Scheme name (chongqing_target_trend, xinanjiang_index, demo_index) or a YAML file; repeatable "
    "(default: the project's, chongqing_target_trend).",
)
@force_opt
@out_dir_opt
def compensate_cmd(project_file: str | None, level: str | None, schemes: tuple[str, ...], force: bool, outdir: Path,
                   **kw: Any) -> None:
    """Settle compensation schemes per section and period: ledger.csv and summary.csv per scheme."""
    from basin._errors import DataError
    from basin.crossborder.compensation import NO_DATA_OUTCOMES

    names = [str(Path(s).resolve()) if s.endswith((".yaml", ".yml")) else s for s in schemes]
    project = _project(project_file, kw, level=level, schemes=names or None)
    res = run_steps(project, ["crossborder"], outdir, force=force)
    print_files(res)
    if not res.crossborder.ledgers:
        msg = "no ledger: compensation needs water-quality data (--wq FILE) and stations (--stations FILE)"
        raise DataError(msg)
    for name, ledger in res.crossborder.ledgers.items():
        missing = int(ledger["outcome"].isin(NO_DATA_OUTCOMES).sum())
        click.echo(
            f"{name}: {len(ledger)} ledger row(s), {int(ledger['payer'].notna().sum())} transfer(s), "
            f"{missing} row(s) without data, station, target or baseline"
        )
