"""``basin wq``: classify water-quality tables and assess monitoring series."""

from __future__ import annotations

from pathlib import Path

import click

from basin._cli_common import (
    build_project,
    common,
    force_opt,
    layer_options,
    out_dir_opt,
    period_opt,
    print_files,
    run_steps,
    standard_opt,
)

_in = click.argument("input_path", metavar="INPUT", required=False, type=click.Path(exists=True, path_type=Path))


def _wq_read_options(f):
    opts = [
        click.option("--layout", type=click.Choice(["auto", "long", "wide", "national_export", "hj212"]), default=None,
                     help="Layout of INPUT (default: recognised from its header)."),
        click.option("--year", type=click.IntRange(1900, 2200), default=None,
                     help="Year of the first row of a national release export (its times have no year)."),
        click.option("--header-row", type=click.IntRange(min=1), default=None,
                     help="Line of the header when title rows stand above it (default: found)."),
        click.option("--detection-limits", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                     help="Table of detection limits per parameter (parameter,detection_limit)."),
        click.option("--sheet", default=None, help="Sheet of an Excel workbook (name or 0-based number)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _wq_options(layout, year, header_row, detection_limits, sheet, encoding):
    sh: str | int | None = int(sheet) if sheet is not None and str(sheet).isdigit() else sheet
    return {
        "layout": layout,
        "year": year,
        "header_row": header_row,
        "detection_limits": detection_limits.resolve() if detection_limits else None,
        "sheet": sh,
        "encoding": encoding,
    }


@click.group()
def wq() -> None:
    """Water quality: GB 3838-2002 classes, 2011 evaluation method, targets and trends."""


@wq.command("classify")
@_in
@common
@layer_options("stations")
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output CSV."
)
@click.option(
    "--waterbody",
    type=click.Choice(["river", "lake", "reservoir"]),
    default="river",
    show_default=True,
    help="Waterbody when neither a waterbody column nor --stations gives it.",
)
@standard_opt
@click.option("--csv-encoding", type=click.Choice(["utf-8-sig", "utf-8"]), default="utf-8-sig", show_default=True,
              help="utf-8-sig opens in Excel on Windows.")
def classify_cmd(input_path, project_file, layer_stations, mapping, crs, encoding, out, waterbody, standard,
                 csv_encoding):
    """Classify every row of a long table (station_id,time,parameter,value[,unit]).

    Only long tables (CSV or the first sheet of a workbook); wide monthly exports, detection-limit tables and
    other sheets are read by `basin wq assess`.

    OUT.csv holds the input rows plus `class` (1-6; empty when the parameter has no class for the row's
    waterbody) and `class_label` (Ⅰ … 劣Ⅴ). Rejected values stop the command (exit 2) with their line numbers.

    \b
    Example:
      basin wq classify geodata/wq_monthly.csv --stations geodata/stations.gpkg -o classes.csv
    """  # noqa: D301 - \b is click's no-rewrap marker
    from basin._errors import DataError
    from basin.io import ensure_not_input, read_layer, write_csv
    from basin.waterquality.reader import classify_table

    project = build_project(project_file, layers={"stations": layer_stations}, mapping=mapping, crs=crs,
                            encoding=encoding)
    path = input_path
    if path is None:
        if project.water_quality is None:
            msg = "`basin wq classify` needs INPUT (a water-quality table) or a project with water_quality"
            raise DataError(msg)
        path = project.water_quality.paths[0]
    st_spec = project.layers.stations
    ensure_not_input(out, [path, st_spec.path if st_spec else None, mapping])
    stations = read_layer(st_spec.path, "stations", **st_spec.read_kwargs("stations")) if st_spec else None
    table = classify_table(path, stations=stations, waterbody=waterbody, standard=standard)
    write_csv(table, out, encoding=csv_encoding)
    click.echo(f"{len(table)} rows classified -> {out}")


@wq.command("assess")
@_in
@common
@layer_options("stations")
@_wq_read_options
@period_opt
@standard_opt
@click.option(
    "--rejected",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Set rejected values aside in this CSV (line, reason; also OUT/rejected.csv) and assess the rest; "
    "default: stop (exit 2).",
)
@force_opt
@out_dir_opt
def assess_cmd(input_path, project_file, layer_stations, mapping, crs, encoding, layout, year, header_row,
               detection_limits, sheet, period, standard, rejected, force, outdir):
    """Assess a series with the 2011 national method into OUT/.

    Writes sections.csv (class, status, main pollutants, target compliance per station and period),
    compliance.csv (monthly attainment per station and year), trends.csv (Mann-Kendall, Seasonal Kendall,
    Sen's slope), rivers.csv (river grades, when the stations have river_id), every further table of the
    method, and summary.json.

    \b
    Example:
      basin wq assess geodata/wq_monthly.csv --stations geodata/stations.gpkg -o out/wq
    """  # noqa: D301 - \b is click's no-rewrap marker
    from basin._errors import DataError

    project = build_project(
        project_file,
        layers={"stations": layer_stations},
        mapping=mapping,
        crs=crs,
        encoding=encoding,
        wq=input_path,
        wq_options=_wq_options(layout, year, header_row, detection_limits, sheet, encoding),
        choices={"period": period, "standard": standard},
    )
    if project.water_quality is None:
        msg = "`basin wq assess` needs INPUT (a water-quality file) or --project FILE with `water_quality:`"
        raise DataError(msg)
    if rejected is not None:
        from basin.io import ensure_not_input

        ensure_not_input(rejected, project.input_paths().values())
    res = run_steps(project, ["wq"], outdir, force=force, options={"rejected": rejected is not None})
    print_files(res)
    wqres = res.waterquality
    if rejected is not None and wqres is not None and wqres.rejected is not None:
        from basin.io import write_csv

        write_csv(wqres.rejected, rejected, encoding=project.output.csv_encoding)
        if len(wqres.rejected):
            click.secho(f"warning: {len(wqres.rejected)} rejected value(s) set aside in {rejected}, not used",
                        fg="yellow", err=True)
