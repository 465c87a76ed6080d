"""The ``basin`` command line.

Commands only parse options and call the library. Any :class:`~basin.BasinError` becomes one line on
stderr and exit code 2 (bad input); the traceback is shown only with ``-v``. Audit commands exit 1 when
they find violations.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from basin import __version__
from basin._cli_common import verbosity as _verbosity
from basin._errors import BasinError

# Subcommands are imported only when used, so that `basin --help` stays fast.
LAZY_COMMANDS: dict[str, str] = {
    "layers": "basin.cli:layers",
    "run": "basin.cli:run",
    "demo": "basin.cli:demo",
    "init": "basin.cli:init",
    "riparian": "basin.zoning.cli:riparian",
    "audit": "basin.zoning.cli:audit",
    "wq": "basin.waterquality.cli:wq",
    "units": "basin.units.cli:units",
    "management": "basin.units.cli:management",
    "crossborder": "basin.crossborder.cli:crossborder",
    "map": "basin.maps.cli:map_group",
    "watch": "basin.watch.cli:watch",
}
#: Old names kept working (hidden from --help): ``zones`` made riparian zones, ``zoning`` the management map.
ALIASES: dict[str, str] = {"zones": "riparian", "zoning": "management"}


class _State:
    verbose: int = 0


STATE = _State()


class LazyGroup(click.Group):
    """A click group whose subcommands live in other modules (see :data:`LAZY_COMMANDS`)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the names of the subcommands (the lazy ones included)."""
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the subcommand ``cmd_name``, importing its module when it is a lazy one."""
        cmd_name = ALIASES.get(cmd_name, cmd_name)
        if cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, cmd_name)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Run the command line and end with basin's exit codes (see :mod:`basin._cli_errors`)."""
        from basin._cli_errors import install_signal_handlers, run_cli

        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        if args is None:  # the real command line (not a test runner): SIGTERM removes partial files
            install_signal_handlers()
        argv = list(sys.argv[1:] if args is None else args)
        run_cli(
            lambda: super(LazyGroup, self).main(args, prog_name, complete_var, standalone_mode=False, **extra),
            argv=argv,
            verbose=lambda: STATE.verbose,
        )


def _showwarning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    click.secho(f"warning: {message}", fg="yellow", err=True)


def configure_logging(*, verbose: int, quiet: bool) -> None:
    """Send basin's log to stderr at the level ``-v``/``-q`` ask for (libraries stay at WARNING)."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    log = logging.getLogger("basin")
    log.setLevel(level)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    if not verbose:
        warnings.showwarning = _showwarning
    if quiet:
        from basin.options import set_options

        set_options(progress=False)


verbose_opt = click.option("-v", "--verbose", count=True, help="More output; show tracebacks on errors.")
quiet_opt = click.option("-q", "--quiet", is_flag=True, help="Only errors.")
mapping_opt = click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML column mapping from your files' column names to the data model.",
)
out_dir_opt = click.option(
    "-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder."
)


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="basin")
@verbose_opt
@quiet_opt
def main(verbose: int, quiet: bool) -> None:
    """Watershed monitoring and zoning for the Chengdu-Chongqing region (upper Yangtze).

    Start with `basin init DIR` (writes a project file for a folder of your files), then `basin run`.
    Every subcommand takes --project FILE (default ./basin.yml; `--project demo` for the demo data).
    Exit codes: 0 ok, 1 a check or audit found problems, 2 bad input, 3 internal error (the message names
    a log file with the traceback).
    """
    STATE.verbose = verbose
    # only basin's own logger speaks at INFO; libraries (pyogrio: "Created N records") stay at WARNING
    configure_logging(verbose=verbose, quiet=quiet)


@click.group()
def layers() -> None:
    """Inspect and validate data-model layers."""


@layers.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["rivers", "lakes", "units", "admin", "stations", "facilities"]),
    help="Layer kind; guessed from the layer name or id column when omitted.",
)
@click.option("--layer", help="Only this layer of a multi-layer file.")
@mapping_opt
@click.option("--crs", help="CRS for files that have none (e.g. EPSG:4326 for a CSV).")
@_verbosity
def layers_check(
    paths: tuple[Path, ...], kind: str | None, layer: str | None, mapping: Path | None, crs: str | None
) -> None:
    """Validate layers against the data model; exit 1 when any layer fails."""
    from basin.io.layers import SCHEMAS, check_layer, inspect_layers, load_mapping

    if mapping is not None:
        for schema_kind in SCHEMAS:  # a broken mapping file is bad input (exit 2), not a failing layer
            load_mapping(mapping, schema_kind)
    failed = 0
    for path in paths:
        try:
            found = inspect_layers(path, kind=kind, layer=layer, mapping=mapping)
        except BasinError as exc:
            click.echo(f"FAIL {exc}")
            failed += 1
            continue
        known = sum(k is not None for _, k in found)
        for lyr, k in found:
            if k is None and known:
                # a companion layer of a multi-layer file (e.g. the border line beside the admin polygons)
                click.echo(
                    f"skip {path}, layer {lyr!r}: not a data-model layer (no id column of a known kind); "
                    "pass --kind --layer to check it as one"
                )
                continue
            if k is None:
                click.echo(f"FAIL {path}, layer {lyr!r}: cannot tell the layer kind; pass --kind")
                failed += 1
                continue
            rep = check_layer(path, k, layer=lyr, mapping=mapping, crs=crs)  # type: ignore[arg-type]
            if rep.ok:
                click.echo(f"ok   {rep.where} ({k}): {rep.n_features} features, CRS {rep.crs}")
            else:
                failed += 1
                click.echo(f"FAIL {rep.where} ({k}):")
                for p in rep.problems:
                    click.echo(f"       - {p.message}")
    if failed:
        click.echo(f"{failed} layer(s) failed")
        sys.exit(1)


def _echo_run(res: Any) -> None:
    for skip in res.skipped:
        click.echo(f"skipped: {skip.text()}")
    for note in res.notes:
        click.echo(f"note: {note}")


@click.command()
@click.argument("project_file", metavar="[PROJECT]", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "outdir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: the project's output.dir).")
@click.option("--steps", help="Comma-separated steps to run (default: all the inputs allow).")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the reports (default: the project's, zh).")
@click.option("--csv-encoding", type=click.Choice(["utf-8-sig", "utf-8"]),
              help="CSV encoding (default utf-8-sig: opens in Excel on Windows).")
@click.option("--fail-on-findings", is_flag=True,
              help="Exit 1 when the siting audit or the cross-border audit finds problems.")
@click.option("--force", is_flag=True, help="Replace an output folder that holds files no basin run wrote.")
@_verbosity
def run(
    project_file: Path | None,
    outdir: Path | None,
    steps: str | None,
    lang: str | None,
    csv_encoding: str | None,
    fail_on_findings: bool,
    force: bool,
) -> None:
    """Run every capability PROJECT (default ./basin.yml) has inputs for; end with the index page."""
    from basin.project import find_project
    from basin.run import run_project

    project = find_project(project_file)
    if project is None:
        msg = "no project: pass a project file (`basin run basin.yml`), or write one with `basin init DIR`"
        raise BasinError(msg)
    _finish_run(run_project, project, outdir, steps, lang, csv_encoding, force, fail_on_findings)


def _finish_run(
    run_project: Any,
    project: Any,
    outdir: Path | None,
    steps: str | None,
    lang: str | None,
    csv_encoding: str | None,
    force: bool,
    fail_on_findings: bool,
) -> None:
    if lang:
        project.output.lang = lang
    if csv_encoding:
        project.output.csv_encoding = csv_encoding
    wanted = [s.strip() for s in steps.split(",") if s.strip()] if steps else None
    res = run_project(project, steps=wanted, outdir=outdir, force=force, echo=click.echo)
    _echo_run(res)
    out = res.outdir
    index = out / "index.html"
    click.echo(f"outputs are in {(index if index.exists() else out).resolve()}")
    if fail_on_findings:
        findings = (res.audit is not None and len(res.audit.violations)) or (
            res.crossborder is not None and res.crossborder.summary().get("out_of_target")
        )
        if findings:
            sys.exit(1)


@click.command()
@click.option("-o", "--out", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the reports (default zh).")
@click.option("--force", is_flag=True, help="Replace an output folder that holds files no basin run wrote.")
@_verbosity
def demo(outdir: Path, lang: str | None, force: bool) -> None:
    """Run every capability on the embedded demo dataset (`basin run` on the demo project) into OUT."""
    from basin.project import demo_project
    from basin.run import run_project

    _finish_run(run_project, demo_project(), outdir, None, lang, None, force, False)


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", "demo_", is_flag=True, help="Write the demo project (a copy of the demo data into FOLDER).")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Project file to write (default: FOLDER/basin.yml).")
@click.option("--force", is_flag=True, help="Overwrite an existing project file.")
@_verbosity
def init(folder: Path, demo_: bool, out: Path | None, force: bool) -> None:
    """Write a commented project file for FOLDER of your files, guessing each file's kind and columns."""
    from basin.io.init import init_project

    target = out if out is not None else folder / "basin.yml"
    if target.exists() and not force:
        msg = f"{target} exists; pass --force to overwrite it or -o to write another file"
        raise BasinError(msg)
    report = init_project(folder, target, demo=demo_)
    for line in report:
        click.echo(line)
    click.echo(f"wrote {target}; edit the lines marked TODO, then run `basin run {target}`")
