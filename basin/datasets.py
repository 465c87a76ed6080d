"""The embedded Sichuan-Chongqing demo dataset (``geodata/`` in the repository).

===================== =================================================================================
name                  file
===================== =================================================================================
rivers                rivers.gpkg - real river network (GSHHG/WDB-II), levels and flow direction
admin                 admin.gpkg - provinces + counties in one layer (Tianditu), model columns
border                admin.gpkg layer ``border`` - the Sichuan-Chongqing shared boundary
lakes                 lakes.gpkg - SYNTHETIC lakes and reservoirs
stations              stations.gpkg - SYNTHETIC monitoring stations on the real rivers
facilities            facilities.gpkg - SYNTHETIC facilities and industrial parks
wq                    wq_monthly.csv - SYNTHETIC monthly water quality 2015-2024 (long format)
population, gdp       population.tif, gdp.tif - SYNTHETIC 1 km density rasters
===================== =================================================================================
"""

from __future__ import annotations

import os
from pathlib import Path

from basin._errors import DataError

FILES = {
    "rivers": "rivers.gpkg",
    "admin": "admin.gpkg",
    "border": "admin.gpkg",
    "lakes": "lakes.gpkg",
    "stations": "stations.gpkg",
    "facilities": "facilities.gpkg",
    "wq": "wq_monthly.csv",
    "population": "population.tif",
    "gdp": "gdp.tif",
}


def data_dir() -> Path:
    """Return the folder of the demo dataset.

    Looked up in this order: the ``BASIN_DATA`` environment variable, ``geodata/`` beside the package (a
    source checkout or editable install), ``basin/_geodata`` (a wheel).
    """
    env = os.environ.get("BASIN_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve().parent
    candidates += [here.parent / "geodata", here / "_geodata"]
    for c in candidates:
        if (c / "rivers.gpkg").exists():
            return c
    msg = f"demo dataset not found (looked in {', '.join(str(c) for c in candidates)}); set BASIN_DATA"
    raise DataError(msg)


def get_path(name: str) -> Path:
    """Return the path of one demo file by name (see the module docs for the names)."""
    if name not in FILES:
        msg = f"unknown demo dataset {name!r}; expected one of {sorted(FILES)}"
        raise DataError(msg)
    path = data_dir() / FILES[name]
    if not path.exists():
        msg = f"demo file {path} is missing; rebuild it with `python scripts/build_demo_data.py`"
        raise DataError(msg)
    return path
