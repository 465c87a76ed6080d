"""``basin map static`` and ``basin map web``: maps of the demo data or of your layers and results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

_vec = click.Path(exists=True, dir_okay=False, path_type=Path)


def _layer_options(f: Any) -> Any:
    opts = [
        click.option("--rivers", type=_vec, help="Rivers layer (default: the demo rivers)."),
        click.option("--admin", type=_vec, help="Admin layer, provinces + counties (default: demo)."),
        click.option("--lakes", type=_vec, help="Lakes layer (default: demo)."),
        click.option("--stations", type=_vec, help="Stations layer (default: demo)."),
        click.option(
            "--results",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="An output folder of `basin demo` or of the commands "
            "(zones/, zoning/, units/, wq/, crossborder/).",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _inputs(
    rivers: Path | None, admin: Path | None, lakes: Path | None, stations: Path | None, results: Path | None
) -> dict[str, Any]:
    from basin.io import read_layer
    from basin.maps.demo import demo_layers, load_outputs

    layers = demo_layers()
    for kind, path, extra in (
        ("rivers", rivers, {}),
        ("admin", admin, {}),
        ("lakes", lakes, {}),
        ("stations", stations, {}),
    ):
        if path is not None:
            layers[kind] = read_layer(path, kind, **extra)  # type: ignore[arg-type]
    if results is not None:
        layers.update(load_outputs(results))
    return layers


@click.group("map")
def map_group() -> None:
    """Draw maps: printable static maps and the offline interactive map."""


@map_group.command("static")
@_layer_options
@click.option(
    "--theme",
    type=click.Choice(["overview", "zones", "management", "units"]),
    default=None,
    help="Polygon theme to fill (default: the first of management, units, zones found in --results).",
)
@click.option("--paper", type=click.Choice(["A4", "A3", "A2", "A1"]), default="A3", show_default=True)
@click.option("--dpi", type=click.IntRange(50, 1200), default=300, show_default=True)
@click.option("--title", help="Map title (default: by theme, in Chinese and English).")
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file: .png, .pdf or .svg.",
)
def static_cmd(
    rivers: Path | None,
    admin: Path | None,
    lakes: Path | None,
    stations: Path | None,
    results: Path | None,
    theme: str | None,
    paper: str,
    dpi: int,
    title: str | None,
    out: Path,
) -> None:
    """Write a static thematic map (PNG / PDF / SVG, print quality)."""
    from basin.maps.demo import DEMO_SOURCES
    from basin.maps.static import static_map

    lay = _inputs(rivers, admin, lakes, stations, results)
    demo = not any((rivers, admin, lakes, stations))
    static_map(
        **{k: v for k, v in lay.items() if k != "audit"},
        theme=theme,
        paper=paper,
        dpi=dpi,
        title=title,
        sources=DEMO_SOURCES if demo else None,
        filepath=out,
    )
    click.echo(f"wrote {out}")


@map_group.command("web")
@_layer_options
@click.option(
    "--wq",
    "wq",
    type=_vec,
    help="Water-quality file of the stations (read with their --stations) for the time control; "
    "default: the demo series only when every layer is the demo's.",
)
@click.option(
    "--monthly/--no-monthly",
    default=True,
    show_default=True,
    help="Compute the stations' monthly classes for the time control.",
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
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output .html file (self-contained, works offline).",
)
def web_cmd(
    rivers: Path | None,
    admin: Path | None,
    lakes: Path | None,
    stations: Path | None,
    results: Path | None,
    wq: Path | None,
    monthly: bool,
    online_tiles: bool,
    title: str,
    out: Path,
) -> None:
    """Write the interactive map as one offline HTML file."""
    from basin.maps.demo import DEMO_SOURCES, monthly_classes, read_series
    from basin.maps.web import web_map, write_web_map

    lay = _inputs(rivers, admin, lakes, stations, results)
    demo = not any((rivers, admin, lakes, stations))
    months = None
    if monthly and wq is not None:
        from basin.waterquality import read_wq

        if stations is None and not demo:
            msg = "--wq needs the stations it was measured at: pass --stations"
            raise click.UsageError(msg)
        months = monthly_classes(read_wq(wq, stations=lay["stations"]))
    elif monthly and demo:
        months = monthly_classes(read_series())  # the demo map: the demo series of the demo stations
    elif monthly:
        click.echo("time control skipped: no water-quality data; pass --wq FILE (with --stations)", err=True)
    m = web_map(
        **lay,
        monthly=months,
        title=title or None,
        online_tiles=online_tiles,
        sources=DEMO_SOURCES if demo else None,
    )
    click.echo(f"wrote {write_web_map(m, out)}")
