"""``basin init``: write a commented project file for a folder of an office's files (or the demo)."""

from __future__ import annotations

import shutil
from pathlib import Path

from basin._errors import DataError


def init_project(folder: str | Path, target: str | Path, *, demo: bool = False) -> list[str]:
    """Write a project file ``target`` for ``folder`` and return the lines to print (what was guessed, what not).

    With ``demo`` the embedded demo data is copied into ``folder`` and the demo project file written.
    """
    folder, target = Path(folder), Path(target)
    if demo:
        from basin import datasets

        src = datasets.data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        copied = []
        for f in sorted(src.iterdir()):
            if f.is_file() and f.name not in {"basin.yml"}:
                shutil.copy2(f, folder / f.name)
                copied.append(f.name)
        text = (src / "basin.yml").read_text(encoding="utf-8")
        if target.resolve().parent != folder.resolve():
            msg = f"with --demo the project file must be in {folder} (the data are copied there)"
            raise DataError(msg)
        target.write_text(text, encoding="utf-8")
        return [f"copied the demo data into {folder}: {', '.join(copied)}"]
    if not folder.is_dir():
        msg = f"{folder} is not a folder; give the folder that holds your layers and tables"
        raise DataError(msg)
    from basin.io.guess import guess_folder, write_project_yaml

    guesses = guess_folder(folder)
    write_project_yaml(guesses, target)
    lines = []
    for g in guesses:
        rel = Path(g.path).relative_to(folder) if Path(g.path).is_relative_to(folder) else g.path
        if g.kind is None:
            lines.append(f"?  {rel}: kind not recognised ({'; '.join(g.notes) or 'no known columns'})")
            continue
        lines.append(f"ok {rel}: {g.kind}" + (f" ({'; '.join(g.notes)})" if g.notes else ""))
        for fld, why in g.unresolved:
            lines.append(f"   TODO {g.kind}.{fld}: {why}")
    return lines


__all__ = ["init_project"]
