"""``basin wq``: classify water-quality tables and assess monitoring series."""

from __future__ import annotations

from pathlib import Path

import click

from basin.cli import out_dir_opt

_in = click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
_stations = click.option(
    "--stations",
    type=click.Path(exists=True, path_type=Path),
    help="Stations layer (waterbody, target_class).",
)
_standard = click.option("--standard", default=None, help="Water-quality standard (default GB3838-2002).")


@click.group()
def wq() -> None:
    """Water quality: GB 3838-2002 classes, 2011 evaluation method, targets and trends."""


@wq.command("classify")
@_in
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output CSV."
)
@_stations
@click.option(
    "--waterbody",
    type=click.Choice(["river", "lake", "reservoir"]),
    default="river",
    show_default=True,
    help="Waterbody when neither a waterbody column nor --stations gives it.",
)
@_standard
def classify_cmd(
    input_path: Path, out: Path, stations: Path | None, waterbody: str, standard: str | None
) -> None:
    """Classify every row of a long table (station_id,time,parameter,value[,unit]).

    OUT.csv holds the input rows plus `class` (1-6; empty when the parameter has no class for the row's
    waterbody) and `class_label` (Ⅰ … 劣Ⅴ). Rejected values stop the command (exit 2) with their line numbers.

    \b
    Example:
      basin wq classify geodata/wq_monthly.csv --stations geodata/stations.gpkg -o classes.csv
    """  # noqa: D301 - \b is click's no-rewrap marker
    from basin.io import ensure_not_input, write_csv
    from basin.waterquality.reader import classify_table

    ensure_not_input(out, [input_path, stations])
    table = classify_table(input_path, stations=stations, waterbody=waterbody, standard=standard)
    write_csv(table, out)
    click.echo(f"{len(table)} rows classified -> {out}")


@wq.command("assess")
@_in
@_stations
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default="year", show_default=True)
@_standard
@click.option(
    "--rejected",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Set rejected values aside in this CSV (line, reason) and assess the rest; default: stop (exit 2).",
)
@click.option(
    "--layout",
    type=click.Choice(["auto", "long", "wide", "national_export", "hj212"]),
    default="auto",
    show_default=True,
    help="Input layout; auto recognises the national release export by its header and HJ 212 packets by '##'.",
)
@click.option("--year", type=int, default=None, help="National release export: year of the first row.")
@out_dir_opt
def assess_cmd(
    input_path: Path,
    stations: Path | None,
    period: str,
    standard: str | None,
    rejected: Path | None,
    layout: str,
    year: int | None,
    outdir: Path,
) -> None:
    """Assess a series with the 2011 national method into OUT/.

    Writes sections.csv (class, status, main pollutants, target compliance per station and period),
    compliance.csv (monthly attainment per station and year), trends.csv (Mann-Kendall, Seasonal Kendall,
    Sen's slope), rivers.csv (river grades, when the stations have river_id) and summary.json. A national
    release export (give --year) also gets class_check.csv and class_disagreements.csv: the file's own
    水质类别 against basin's class of every sample.

    \b
    Example:
      basin wq assess geodata/wq_monthly.csv --stations geodata/stations.gpkg -o out/wq
    """  # noqa: D301 - \b is click's no-rewrap marker
    from basin.waterquality.demo import assess_to_dir

    written = assess_to_dir(
        input_path,
        outdir,
        stations=stations,
        period=period,  # type: ignore[arg-type]
        standard=standard,
        rejected=rejected,
        layout=layout,
        year=year,
    )
    for label, path in written.items():
        click.echo(f"{label}: {path}")
    if rejected is not None:
        import pandas as pd

        n = len(pd.read_csv(written["rejected"]))
        if n:
            click.secho(f"warning: {n} rejected value(s) set aside in {rejected}, not used", fg="yellow", err=True)
