"""``basin demo``: run every capability on the embedded demo dataset.

Each capability registers one step in :data:`STEPS` as ``"module:function"``; a step is called as
``step(outdir: Path) -> dict[str, Path]`` and returns the files it wrote, by a short label.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from pathlib import Path

from basin import datasets
from basin._progress import track
from basin.io import check_layer, write_json

# Order matters: later steps may read what earlier ones wrote into the same output folder.
STEPS: list[tuple[str, str]] = [
    ("layers", "basin.demo:layers_step"),
    ("riparian", "basin.zoning.demo:demo_step"),
    ("wq", "basin.waterquality.demo:demo_step"),
    ("units", "basin.units.demo:demo_step"),
    ("crossborder", "basin.crossborder.demo:demo_step"),
    ("maps", "basin.maps.demo:demo_step"),  # keep last: maps and index.html show every earlier step
]


def layers_step(outdir: Path) -> dict[str, Path]:
    """Check every demo layer against the data model and write ``layers/report.json``."""
    reports = []
    for kind in ("rivers", "admin", "lakes", "stations", "facilities"):
        rep = check_layer(datasets.get_path(kind), kind)  # type: ignore[arg-type]
        reports.append(
            {
                "kind": kind,
                "path": rep.path,
                "features": rep.n_features,
                "crs": rep.crs,
                "ok": rep.ok,
                "problems": [p.message for p in rep.problems],
            }
        )
    path = write_json(reports, outdir / "layers" / "report.json")
    return {"layer check": path}


def _resolve(ref: str) -> Callable[[Path], dict[str, Path]]:
    module, func = ref.split(":")
    return getattr(importlib.import_module(module), func)


def run_demo(outdir: str | Path, *, echo: Callable[[str], None] = print) -> dict[str, dict[str, Path]]:
    """Run all registered steps into ``outdir`` and return their outputs by step name."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Path]] = {}
    for name, ref in track(STEPS, "basin demo"):
        t0 = time.perf_counter()
        outputs = _resolve(ref)(outdir)
        results[name] = outputs
        echo(f"[{name}] done in {time.perf_counter() - t0:.1f} s")
        for label, path in outputs.items():
            echo(f"    {label}: {path}")
    return results
