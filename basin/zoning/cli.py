"""``basin zones`` and ``basin audit``: thin commands over :mod:`basin.zoning.outputs`."""

from __future__ import annotations

from pathlib import Path

import click

from basin.cli import mapping_opt, out_dir_opt

_file = click.Path(exists=True, dir_okay=False, path_type=Path)
rivers_opt = click.option("--rivers", type=_file, help="River lines (default: the demo rivers).")
lakes_opt = click.option("--lakes", type=_file, help="Lake/reservoir polygons (default: the demo lakes).")
admin_opt = click.option("--admin", type=_file, help="Provinces + counties (default: the demo admin layer).")
rules_opt = click.option("--rules", type=_file, help="Rule file (YAML; default: the shipped R1/R2/R3 rules).")


@click.command()
@rivers_opt
@lakes_opt
@admin_opt
@rules_opt
@mapping_opt
@out_dir_opt
def zones(
    rivers: Path | None,
    lakes: Path | None,
    admin: Path | None,
    rules: Path | None,
    mapping: Path | None,
    outdir: Path,
) -> None:
    """Build the riparian zones A/B/C (OUT/zones.gpkg) and their area per province and county (OUT/zone_areas.csv)."""
    from basin.zoning.outputs import write_zones

    paths = write_zones(outdir, rivers=rivers, lakes=lakes, admin=admin, rules=rules, mapping=mapping)
    for label, path in paths.items():
        click.echo(f"{label}: {path}")


@click.command()
@click.argument("facilities", required=False, type=_file)
@rivers_opt
@lakes_opt
@rules_opt
@admin_opt
@mapping_opt
@click.option(
    "--scheduler",
    metavar="ADDR",
    help=(
        "Run on this dask.distributed scheduler: tcp://host:8786, or tls://host:8786 with your Dask TLS "
        "configuration (distributed.comm.tls.*). SECURITY: the scheduler and its workers can run code on "
        "this machine (Dask unpickles what they send); use only a cluster you trust."
    ),
)
@out_dir_opt
@click.pass_context
def audit(
    ctx: click.Context,
    facilities: Path | None,
    rivers: Path | None,
    lakes: Path | None,
    rules: Path | None,
    admin: Path | None,
    mapping: Path | None,
    scheduler: str | None,
    outdir: Path,
) -> None:
    """Audit FACILITIES (default: the demo facilities) against the riparian rules by geodesic distance.

    Writes OUT/violations.csv, OUT/violations.geojson and OUT/summary.json. Exit code 0 when no facility
    breaks a rule, 1 when some do (new facilities prohibited or existing ones to phase out), 2 on bad input.
    """
    from basin.zoning.outputs import summary_text, write_audit

    run = write_audit(
        outdir,
        facilities,
        rivers=rivers,
        lakes=lakes,
        admin=admin,
        rules=rules,
        mapping=mapping,
        scheduler=scheduler,
    )
    click.echo(summary_text(run.summary))
    click.echo(f"outputs: {', '.join(str(p) for p in run.paths.values())}")
    ctx.exit(1 if len(run.violations) else 0)
