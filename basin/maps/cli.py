"""``basin map static`` and ``basin map web``: maps of a project's layers and of its run's results."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from basin._cli_common import build_project, common, layer_options, period_opt, wq_opt

_LAYERS = ("rivers", "admin", "lakes", "stations", "facilities")


def _results(project_file: str | None, kw: dict[str, Any], period: str | None) -> Any:
    """Run the project's steps in memory (nothing written) and return the results for the maps."""
    from basin._errors import DataError
    from basin.run import compute_project

    project = build_project(
        project_file,
        layers={k: kw.pop(f"layer_{k}") for k in _LAYERS},
        mapping=kw.pop("mapping"),
        crs=kw.pop("crs"),
        encoding=kw.pop("encoding"),
        wq=kw.pop("wq_path", None),
        choices={"period": period},
    )
    if project.layers.rivers is None and project.layers.admin is None:
        msg = (
            "nothing to draw: pass --rivers FILE and/or --admin FILE, or --project FILE (`basin init` writes one), "
            "or --project demo"
        )
        raise DataError(msg)
    return compute_project(project, echo=logging.getLogger("basin").info)


@click.group("map")
def map_group() -> None:
    """Draw maps: printable static maps and the offline interactive map."""


@map_group.command("static")
@common
@layer_options(*_LAYERS)
@wq_opt
@period_opt
@click.option(
    "--theme",
    type=click.Choice(["overview", "zones", "management", "units"]),
    default=None,
    help="Polygon theme to fill (default: the first of management, units, zones the run produced).",
)
@click.option("--paper", type=click.Choice(["A4", "A3", "A2", "A1"]), default="A3", show_default=True)
@click.option("--dpi", type=click.IntRange(50, 1200), default=300, show_default=True)
@click.option("--title", help="Map title (default: by theme, in Chinese and English).")
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Output file: .png, .pdf or .svg.",
)
def static_cmd(project_file: str | None, period: str | None, theme: str | None, paper: str, dpi: int,
               title: str | None, out: Path, **kw: Any) -> None:
    """Write a static thematic map (PNG / PDF / SVG, print quality) of the project and its results."""
    from basin.io import ensure_not_input
    from basin.maps.render import sources_text
    from basin.maps.static import static_map

    res = _results(project_file, kw, period)
    ensure_not_input(out, res.project.input_paths().values())
    static_map(
        rivers=res.layers.get("rivers"),
        admin=res.layers.get("admin"),
        lakes=res.layers.get("lakes"),
        stations=res.layers.get("stations"),
        zones=res.riparian.zones if res.riparian is not None else None,
        management=res.management.management if res.management is not None else None,
        units=res.units.units if res.units is not None else None,
        assessment=res.waterquality.sections if res.waterquality is not None else None,
        sections=res.crossborder.sections if res.crossborder is not None else None,
        audit=res.crossborder.audit if res.crossborder is not None else None,
        audit_period="latest_year",
        violations=res.audit.violations if res.audit is not None and len(res.audit.violations) else None,
        theme=theme,
        paper=paper,
        dpi=dpi,
        title=title,
        sources=sources_text(res),
        filepath=out,
    )
    click.echo(f"wrote {out}")


@map_group.command("web")
@common
@layer_options(*_LAYERS)
@wq_opt
@period_opt
@click.option(
    "--monthly/--no-monthly",
    default=True,
    show_default=True,
    help="Step the stations' monthly classes (from the project's own series) in a time control.",
)
@click.option(
    "--online-tiles/--no-online-tiles",
    default=True,
    show_default=True,
    help="Offer an OpenStreetMap layer in the layer control (switched off; needs the internet).",
)
@click.option(
    "--title", default="川渝流域监测与分区 Sichuan-Chongqing basin monitoring and zoning", show_default=True
)
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Output .html file (self-contained, works offline).",
)
def web_cmd(project_file: str | None, period: str | None, monthly: bool, online_tiles: bool, title: str, out: Path,
            **kw: Any) -> None:
    """Write the interactive map of the project and its results as one offline HTML file."""
    from basin.io import ensure_not_input
    from basin.maps.render import sources_text
    from basin.maps.web import web_map, write_web_map

    res = _results(project_file, kw, period)
    ensure_not_input(out, res.project.input_paths().values())
    wq = res.waterquality
    m = web_map(
        rivers=res.layers.get("rivers"),
        admin=res.layers.get("admin"),
        lakes=res.layers.get("lakes"),
        stations=res.layers.get("stations"),
        zones=res.riparian.zones if res.riparian is not None else None,
        management=res.management.management if res.management is not None else None,
        units=res.units.units if res.units is not None else None,
        assessment=wq.sections if wq is not None else None,
        monthly=wq.monthly if wq is not None and monthly and len(wq.monthly) else None,
        sections=res.crossborder.sections if res.crossborder is not None else None,
        audit=res.crossborder.audit if res.crossborder is not None else None,
        audit_period="latest_year",
        facilities=res.audit.facilities if res.audit is not None else None,
        violations=res.audit.violations if res.audit is not None and len(res.audit.violations) else None,
        title=title or None,
        sources=sources_text(res),
        online_tiles=online_tiles,
    )
    click.echo(f"wrote {write_web_map(m, out)}")
