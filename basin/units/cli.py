"""``basin units`` and ``basin zoning``: thin click commands over :mod:`basin.units.pipeline`."""

from __future__ import annotations

from pathlib import Path

import click

from basin.cli import mapping_opt, out_dir_opt

_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.option(
    "--units", "units_path", type=_file, help="Your units (sub-basins / control units); derived when omitted."
)
@click.option(
    "--dem", type=_file, help="DEM to derive sub-basin units from (with --dem-area or --dem-order)."
)
@click.option(
    "--dem-area", type=click.FloatRange(min=0.0, min_open=True), help="Sub-basin area threshold, km²."
)
@click.option(
    "--dem-order", type=click.IntRange(min=1), help="Cut sub-basins at confluences of this stream order."
)
@click.option("--rivers", type=_file, help="River reaches (default: demo rivers).")
@click.option("--admin", type=_file, help="Provinces + counties (default: demo admin).")
@click.option("--population", type=_file, help="Population density raster (default: demo).")
@click.option("--gdp", type=_file, help="GDP density raster (default: demo).")
@click.option("--lakes", type=_file, help="Lakes/reservoirs (default: demo).")
@click.option("--stations", type=_file, help="Stations with target classes (default: demo).")
@click.option("--zones", type=_file, help="Riparian zones (layer with a 'zone' column A/B/C).")
@click.option("--flows", type=_file, help="CSV of design flows per unit: unit_id,cs,c0,q,q_in,k,x_km,u.")
@click.option("--loads", type=_file, help="CSV of pollutant loads per unit: unit_id,load_t_a.")
@click.option(
    "--config", type=_file, help="Evaluation config YAML (default: basin/units/config/default.yaml)."
)
@click.option("--by-county", is_flag=True, help="Cut the units by county (basin x county control units).")
@click.option(
    "--min-area",
    type=click.FloatRange(min=0.0),
    default=1.0,
    show_default=True,
    help="With --by-county: merge pieces smaller than this (km²) into a neighbour in the same county.",
)
@click.option(
    "--spacing",
    type=click.FloatRange(min=1.0),
    default=1000.0,
    show_default=True,
    help="Densification of reaches for derived units, metres.",
)
@mapping_opt
@out_dir_opt
def units(
    units_path: Path | None,
    dem: Path | None,
    dem_area: float | None,
    dem_order: int | None,
    rivers: Path | None,
    admin: Path | None,
    population: Path | None,
    gdp: Path | None,
    lakes: Path | None,
    stations: Path | None,
    zones: Path | None,
    flows: Path | None,
    loads: Path | None,
    config: Path | None,
    by_county: bool,
    min_area: float,
    spacing: float,
    mapping: Path | None,
    outdir: Path,
) -> None:
    """Derive or load evaluation units, compute indicators and classify them into the four classes."""
    from basin.units.pipeline import run_units

    res, files = run_units(
        outdir,
        units=units_path,
        dem=dem,
        dem_area_km2=dem_area,
        dem_order=dem_order,
        rivers=rivers,
        admin=admin,
        population=population,
        gdp=gdp,
        lakes=lakes,
        stations=stations,
        zones=zones,
        flows=flows,
        loads=loads,
        config=config,
        by_county=by_county,
        min_area_km2=min_area,
        spacing=spacing,
        mapping=mapping,
    )
    for _, row in res.classes.iterrows():
        click.echo(
            f"{row['class_code']} {row['class_zh']}: {row['n_units']} units, {row['area_km2']:.0f} km²"
        )
    for label, path in files.items():
        click.echo(f"{label}: {path}")


@click.command()
@click.option("--units", "units_path", type=_file, help="Classified units (units.gpkg of `basin units`).")
@click.option("--zones", type=_file, help="Riparian zones (layer with a 'zone' column A/B/C).")
@click.option("--admin", type=_file, help="Provinces + counties for the area tables (default: demo admin).")
@click.option("--redline", type=_file, help="Ecological protection red-line polygons.")
@click.option("--water-sources", type=_file, help="Drinking-water source protection zones.")
@click.option(
    "--rules", type=_file, help="Management rules YAML (default: basin/units/config/management.yaml)."
)
@out_dir_opt
def zoning(
    units_path: Path | None,
    zones: Path | None,
    admin: Path | None,
    redline: Path | None,
    water_sources: Path | None,
    rules: Path | None,
    outdir: Path,
) -> None:
    """Build the management map (优先保护区 / 重点管控区 / 一般维护区) and its area tables."""
    from basin.units.pipeline import run_zoning

    m, files = run_zoning(
        outdir,
        units=units_path,
        zones=zones,
        admin=admin,
        redline=redline,
        water_sources=water_sources,
        rules=rules,
    )
    areas = m.groupby(["mgmt_zone", "label_zh"], sort=False)["area_km2"].sum()
    for (zone, label), area in areas.items():
        click.echo(f"{zone} {label}: {area:.0f} km²")
    for label, path in files.items():
        click.echo(f"{label}: {path}")
