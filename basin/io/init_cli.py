"""``basin init DIR``: write a commented project file for a folder of an office's files (or the demo)."""

from __future__ import annotations

from pathlib import Path

import click

from basin._errors import DataError


@click.command("init")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False)
@click.option("--demo", is_flag=True, help="Write the project file of the built-in demo data instead.")
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Project file to write (default FOLDER/basin.yml).",
)
@click.option("--force", is_flag=True, help="Replace an existing project file.")
def init_cmd(folder: Path | None, demo: bool, out: Path | None, force: bool) -> None:
    """Guess each file's layer and columns and write a commented project file.

    Every guessed line says what basin guessed; every line marked `# TODO:` is what it could not guess. Edit
    those, then `basin run`.

    \b
    Example:
      basin init data/          # writes data/basin.yml
      basin init --demo -o demo.yml
    """  # noqa: D301 - \b is click's no-rewrap marker
    from basin.io.guess import guess_folder, write_project_yaml

    if folder is None and not demo:
        msg = "give the FOLDER of your files (or --demo)"
        raise click.UsageError(msg)
    base = folder if folder is not None else Path.cwd()
    target = out if out is not None else base / "basin.yml"
    if target.exists() and not force:
        msg = f"{target}: exists; pass --force to replace it, or -o another file"
        raise DataError(msg)
    guesses = [] if demo and folder is None else guess_folder(base)
    written = write_project_yaml(guesses, target, demo=demo)
    for g in guesses:
        where = g.path.name + (f" [{g.layer}]" if g.layer else "")
        click.echo(f"{where}: {g.kind or '?'}")
        for f, why in g.unresolved:
            click.echo(f"    TODO {f}: {why}")
    n = sum(len(g.unresolved) for g in guesses)
    click.echo(f"wrote {written}" + (f"; {n} line(s) marked TODO to fill in" if n else "; nothing left to fill in"))
