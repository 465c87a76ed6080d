"""What every ``basin`` subcommand shares: option objects, the project they act on, and the run call.

Every subcommand takes ``--project FILE`` (``--project demo`` for the built-in demo; ``./basin.yml`` is used
when present), and its flags override the project: ``--rivers F`` replaces the project's rivers layer,
``--mapping F`` applies to every layer given by a flag, ``--period`` replaces ``choices.period``. A
subcommand is a run restricted to its steps, written flat into ``-o``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from basin.project import DEFAULT_PERIOD, LayerSpec, Project, WaterQualitySpec, find_project

F = Callable[..., Any]

_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_file_or_dir = click.Path(exists=True, path_type=Path)

LAYER_HELP = {
    "rivers": "River lines (river_id, name, level, downstream_id).",
    "lakes": "Lake / reservoir polygons (lake_id, name, kind, connected).",
    "admin": "Provinces + counties (admin_id, name, level, parent_id).",
    "stations": "Monitoring stations (station_id, name, river_id/lake_id, waterbody, target_class).",
    "facilities": "Facilities / industrial parks (facility_id, name, category, status); .xlsx/.csv with lon/lat.",
    "units": "Evaluation units (unit_id, name) instead of deriving them.",
    "redline": "Ecological protection red-line polygons.",
    "water_sources": "Drinking-water source protection zones (polygons).",
}


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if not value:
        return value
    from basin.cli import STATE, configure_logging

    if param.name == "verbose":
        STATE.verbose = max(STATE.verbose, int(value))
        configure_logging(verbose=STATE.verbose, quiet=False)
    else:
        configure_logging(verbose=0, quiet=True)
    return value


def verbosity(f: F) -> F:
    """``-v/-q`` accepted after the subcommand too."""
    f = click.option(
        "-v", "--verbose", count=True, expose_value=False, callback=_set_verbosity, is_eager=True,
        help="More output; show tracebacks on errors.",
    )(f)
    return click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=_set_verbosity, is_eager=True,
        help="Only errors.",
    )(f)


project_opt = click.option(
    "--project",
    "project_file",
    metavar="FILE|demo",
    help="Project file (default: ./basin.yml when present); `demo` for the built-in demo project.",
)
mapping_opt = click.option(
    "--mapping",
    type=_file,
    help="YAML column/value mapping from your files' columns to the data model (for the layers given by flags).",
)
crs_opt = click.option("--crs", help="CRS of layers that carry none (e.g. EPSG:4490 for a CSV of lon/lat).")
encoding_opt = click.option("--encoding", help="Text encoding of the layers given by flags (e.g. gbk).")
period_opt = click.option(
    "--period",
    type=click.Choice(["month", "quarter", "year"]),
    default=None,
    help=f"Evaluation period (default: the project's, else {DEFAULT_PERIOD}).",
)
standard_opt = click.option("--standard", default=None, help="Water-quality standard (default GB3838-2002).")
wq_opt = click.option(
    "--wq", "wq_path", type=_file_or_dir, help="Water-quality series (long/wide CSV, Excel, NetCDF, Zarr)."
)
force_opt = click.option("--force", is_flag=True, help="Replace an output folder that holds files no basin run wrote.")
out_dir_opt = click.option(
    "-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder."
)


def layer_options(*kinds: str) -> Callable[[F], F]:
    """Options ``--<kind> FILE`` for the given layer kinds, plus ``--mapping``, ``--crs`` and ``--encoding``."""

    def deco(f: F) -> F:
        opts = [
            click.option(f"--{k.replace('_', '-')}", f"layer_{k}", type=_file, help=LAYER_HELP[k]) for k in kinds
        ]
        for o in reversed([*opts, mapping_opt, crs_opt, encoding_opt]):
            f = o(f)
        return f

    return deco


def common(f: F) -> F:
    """``--project`` and ``-v/-q``."""
    return verbosity(project_opt(f))


def build_project(
    project_file: str | None,
    *,
    layers: dict[str, Path | None] | None = None,
    mapping: Path | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    wq: Path | None = None,
    wq_options: dict[str, Any] | None = None,
    choices: dict[str, Any] | None = None,
) -> Project:
    """Return the project a subcommand acts on: the project file (or an empty one) with the flags applied."""
    if mapping is not None and not any(v is not None for v in (layers or {}).values()) and wq is None:
        from basin._errors import SchemaError

        msg = (
            f"--mapping {mapping} applies to the layers given by flags (--rivers FILE …), and none is given; "
            "give the layer flags too, or put `mapping:` in the project file's layer entries"
        )
        raise SchemaError(msg)
    project = find_project(project_file)
    if project is None:
        project = Project()
        project._base_dir = Path.cwd()
    for kind, path in (layers or {}).items():
        if path is None:
            continue
        spec = LayerSpec(path=Path(path).resolve(), crs=crs, encoding=encoding)
        if mapping is not None:
            spec.mapping = Path(mapping).resolve()
        setattr(project.layers, kind, spec)
    if wq is not None:
        spec_kw = {k: v for k, v in (wq_options or {}).items() if v is not None}
        if mapping is not None and "mapping" not in spec_kw:
            spec_kw["mapping"] = Path(mapping).resolve()
        project.water_quality = WaterQualitySpec(paths=[Path(wq).resolve()], **spec_kw)
    elif wq_options and project.water_quality is not None:
        for k, v in wq_options.items():
            if v is not None:
                setattr(project.water_quality, k, v)
    for key, value in (choices or {}).items():
        if value is None:
            continue
        target: Any = project.choices
        *parents, last = key.split(".")
        for name in parents:
            target = getattr(target, name)
        setattr(target, last, value)
    return project


def require_layers(
    project: Project, kinds: Iterable[str], *, command: str, flags: dict[str, str] | None = None
) -> None:
    """Exit 2 with one line when a subcommand's required layers are given neither by flag nor project."""
    from basin._errors import DataError

    missing = [k for k in kinds if getattr(project.layers, k) is None]
    if missing:
        spelled = flags or {}
        flags_text = " ".join(spelled.get(k, f"--{k.replace('_', '-')} FILE") for k in missing)
        msg = (
            f"`basin {command}` needs the {', '.join(missing)} layer(s): pass {flags_text}, or --project FILE "
            "(a project file naming them; `basin init` writes one), or --project demo for the demo data"
        )
        raise DataError(msg)


def run_steps(
    project: Project,
    steps: list[str],
    outdir: Path,
    *,
    force: bool = False,
    options: dict[str, Any] | None = None,
) -> Any:
    """Run ``steps`` of ``project`` and write their outputs flat into ``outdir`` (no maps, no reports)."""
    from basin._errors import DataError
    from basin.run import STEPS, run_project

    log = logging.getLogger("basin")
    res = run_project(
        project,
        steps=steps,
        outdir=outdir,
        force=force,
        reports=False,
        maps=False,
        flat=True,
        options=options,
        echo=log.info,
    )
    main = next(s for s in STEPS if s.name == steps[-1])
    if getattr(res, main.attr) is None:  # the step the command is for could not run: that is bad input
        reason = next((s.text() for s in res.skipped), f"{main.name} could not run")
        raise DataError(reason)
    return res


def print_files(res: Any) -> None:
    """Print what a run wrote, by step and label."""
    for step, files in res.files.items():
        for label, path in files.items():
            click.echo(f"{step}: {label}: {path}")
    for skip in res.skipped:
        click.echo(f"skipped: {skip.text()}")


__all__ = [
    "build_project",
    "common",
    "crs_opt",
    "encoding_opt",
    "force_opt",
    "layer_options",
    "mapping_opt",
    "out_dir_opt",
    "period_opt",
    "print_files",
    "project_opt",
    "require_layers",
    "run_steps",
    "standard_opt",
    "verbosity",
    "wq_opt",
]
