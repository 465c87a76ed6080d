"""``basin riparian`` and ``basin audit``: the riparian zones and the siting audit of a project or of files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from basin._cli_common import (
    build_project,
    common,
    force_opt,
    layer_options,
    out_dir_opt,
    print_files,
    require_layers,
    run_steps,
)

_file = click.Path(exists=True, dir_okay=False, path_type=Path)
rules_opt = click.option("--rules", type=_file, help="Riparian rule file (YAML; default: the shipped R1/R2/R3).")


@click.command()
@common
@layer_options("rivers", "lakes", "admin")
@rules_opt
@force_opt
@out_dir_opt
def riparian(
    project_file: str | None,
    layer_rivers: Path | None,
    layer_lakes: Path | None,
    layer_admin: Path | None,
    mapping: Path | None,
    crs: str | None,
    encoding: str | None,
    rules: Path | None,
    force: bool,
    outdir: Path,
) -> None:
    """Build the riparian zones A/B/C (OUT/zones.gpkg) and their area per province and county (OUT/zone_areas.csv).

    Zone A: the 1 km rule (main stem, 1st/2nd-level tributaries); zone B: the 5 km / 3 km rules outside A;
    zone C: the rest of the region. Without a lakes layer the lake rule is skipped (said so).
    """
    project = build_project(
        project_file,
        layers={"rivers": layer_rivers, "lakes": layer_lakes, "admin": layer_admin},
        mapping=mapping,
        crs=crs,
        encoding=encoding,
        choices={"rules": rules.resolve() if rules else None},
    )
    require_layers(project, ["rivers", "admin"], command="riparian")
    print_files(run_steps(project, ["riparian"], outdir, force=force))


@click.command()
@click.argument("facilities", required=False, type=_file)
@common
@layer_options("rivers", "lakes", "admin")
@rules_opt
@click.option(
    "--scheduler",
    metavar="ADDR",
    help=(
        "Run on this dask.distributed scheduler: tcp://host:8786, or tls://host:8786 with your Dask TLS "
        "configuration (distributed.comm.tls.*). SECURITY: the scheduler and its workers can run code on "
        "this machine (Dask unpickles what they send); use only a cluster you trust (see docs/zoning.md)."
    ),
)
@force_opt
@out_dir_opt
@click.pass_context
def audit(
    ctx: click.Context,
    facilities: Path | None,
    project_file: str | None,
    layer_rivers: Path | None,
    layer_lakes: Path | None,
    layer_admin: Path | None,
    mapping: Path | None,
    crs: str | None,
    encoding: str | None,
    rules: Path | None,
    scheduler: str | None,
    force: bool,
    outdir: Path,
) -> None:
    """Audit FACILITIES (or the project's facilities) against the riparian rules by geodesic distance.

    Writes OUT/violations.csv, OUT/violations.geojson and OUT/summary.json. Exit code 0 when no facility
    breaks a rule, 1 when some do (new facilities prohibited or existing ones to phase out), 2 on bad input.
    FACILITIES may be a GeoPackage/Shapefile/GeoJSON or an .xlsx/.csv list with lon/lat columns (map them with
    --mapping, e.g. lon: 经度, lat: 纬度).
    """
    from basin.zoning.step import summary_text

    project = build_project(
        project_file,
        layers={"facilities": facilities, "rivers": layer_rivers, "lakes": layer_lakes, "admin": layer_admin},
        mapping=mapping,
        crs=crs,
        encoding=encoding,
        choices={"rules": rules.resolve() if rules else None},
    )
    require_layers(project, ["facilities", "rivers"], command="audit", flags={"facilities": "FACILITIES"})
    options: dict[str, Any] = {"scheduler": scheduler} if scheduler else {}
    res = run_steps(project, ["audit"], outdir, force=force, options=options)
    click.echo(summary_text(res.audit.summary_))
    print_files(res)
    ctx.exit(1 if len(res.audit.violations) else 0)
