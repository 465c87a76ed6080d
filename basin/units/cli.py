"""``basin units`` and ``basin management``: four-class evaluation units and the management map."""

from __future__ import annotations

from pathlib import Path

import click

from basin._cli_common import (
    build_project,
    common,
    force_opt,
    layer_options,
    out_dir_opt,
    print_files,
    run_steps,
)

_file = click.Path(exists=True, dir_okay=False, path_type=Path)


def _unit_options(f):
    opts = [
        click.option("--dem", type=_file, help="DEM to derive sub-basin units from (with --dem-area or --dem-order)."),
        click.option(
            "--dem-area", type=click.FloatRange(min=0.0, min_open=True), help="Sub-basin area threshold, km²."
        ),
        click.option(
            "--dem-order", type=click.IntRange(min=1), help="Cut sub-basins at confluences of this stream order."
        ),
        click.option("--population", type=_file, help="Population density raster."),
        click.option("--gdp", type=_file, help="GDP density raster."),
        click.option("--flows", type=_file, help="CSV of design flows per unit: unit_id,cs,c0,q,q_in,k,x_km,u."),
        click.option("--loads", type=_file, help="CSV of pollutant loads per unit: unit_id,load_t_a."),
        click.option("--config", type=_file, help="Evaluation config YAML (default: basin/units/config/default.yaml)."),
        click.option("--zones", "zones_file", type=_file,
                     help="Riparian zones of an earlier run (a layer with a 'zone' column A/B/C) "
                     "instead of making them."),
        click.option(
            "--by-county/--no-by-county", default=None, help="Cut the units by county (default: the project's, on)."
        ),
        click.option("--min-area", type=click.FloatRange(min=0.0), default=None,
                     help="With --by-county: merge pieces smaller than this (km²) into a neighbour (default 1)."),
        click.option("--spacing", type=click.FloatRange(min=1.0), default=None,
                     help="Densification of reaches for derived units, metres (default 1000)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _project(project_file, layers, mapping, crs, encoding, dem, dem_area, dem_order, population, gdp, flows, loads,
             config, by_county, min_area, spacing):
    project = build_project(
        project_file,
        layers=layers,
        mapping=mapping,
        crs=crs,
        encoding=encoding,
        choices={
            "units.config": config.resolve() if config else None,
            "units.by_county": by_county,
            "units.min_area_km2": min_area,
            "units.spacing_m": spacing,
            "units.dem_area_km2": dem_area,
            "units.dem_order": dem_order,
            "units.source": "dem" if dem else ("layer" if layers.get("units") else None),
        },
    )
    for name, path in (("dem", dem), ("population", population), ("gdp", gdp)):
        if path is not None:
            setattr(project.rasters, name, path.resolve())
    for name, path in (("flows", flows), ("loads", loads)):
        if path is not None:
            setattr(project.tables, name, path.resolve())
    return project


@click.command()
@common
@layer_options("units", "rivers", "admin", "lakes", "stations")
@_unit_options
@force_opt
@out_dir_opt
def units(project_file, layer_units, layer_rivers, layer_admin, layer_lakes, layer_stations, mapping, crs, encoding,
          dem, dem_area, dem_order, population, gdp, flows, loads, config, zones_file, by_county, min_area, spacing,
          force, outdir):
    """Classify evaluation units into the four classes (高压低容 … 低压高容) into OUT/.

    The units are your --units layer, the sub-basins of --dem, or derived from the river reaches over the
    admin region (nearest-reach allocation); each indicator is computed when its input is given (a missing
    raster or table is skipped with a line saying so). Writes units.gpkg, units.csv, classes.csv,
    robustness.csv and classification.json.
    """
    layers = {"units": layer_units, "rivers": layer_rivers, "admin": layer_admin, "lakes": layer_lakes,
              "stations": layer_stations}
    project = _project(project_file, layers, mapping, crs, encoding, dem, dem_area, dem_order, population, gdp,
                       flows, loads, config, by_county, min_area, spacing)
    have_zones = zones_file is not None or (project.layers.rivers is not None and project.layers.admin is not None)
    steps = ["riparian", "units"] if have_zones else ["units"]
    options = {"zones_file": zones_file} if zones_file else {}
    res = run_steps(project, steps, outdir, force=force, options=options)
    print_files(res)
    if res.units is not None:
        for row in res.units.result.classes.itertuples():
            click.echo(f"{row.class_code} {row.class_zh}: {row.n_units} unit(s)")


@click.command()
@common
@layer_options("units", "rivers", "admin", "lakes", "stations", "redline", "water_sources")
@_unit_options
@click.option("--rules", "mgmt_rules", type=_file, help="Management rules YAML (default: the shipped ones).")
@click.option("--classified-units", type=_file,
              help="Units classified by an earlier `basin units` run (its units.gpkg), used as they are.")
@force_opt
@out_dir_opt
def management(project_file, layer_units, layer_rivers, layer_admin, layer_lakes, layer_stations, layer_redline,
               layer_water_sources, mapping, crs, encoding, dem, dem_area, dem_order, population, gdp, flows, loads,
               config, zones_file, by_county, min_area, spacing, mgmt_rules, classified_units, force, outdir):
    """Build the priority / key / general management map (优先保护/重点管控/一般管控) into OUT/.

    Runs the riparian zones and the evaluation units first (in memory), then overlays them with the red
    line and the drinking-water sources. Writes management.gpkg and the areas by province and county.
    """
    layers = {"units": layer_units, "rivers": layer_rivers, "admin": layer_admin, "lakes": layer_lakes,
              "stations": layer_stations, "redline": layer_redline, "water_sources": layer_water_sources}
    project = _project(project_file, layers, mapping, crs, encoding, dem, dem_area, dem_order, population, gdp,
                       flows, loads, config, by_county, min_area, spacing)
    if mgmt_rules is not None:
        project.choices.units.management_rules = mgmt_rules.resolve()
    options = {"zones_file": zones_file, "classified_units": classified_units}
    res = run_steps(project, ["riparian", "units", "management"], outdir, force=force,
                    options={k: v for k, v in options.items() if v is not None})
    print_files(res)
