"""basin: watershed ecological monitoring and zoning for the Chengdu-Chongqing region.

The package turns the basin-governance rules of the upper Yangtze (riparian buffers, four-class
evaluation units, GB 3838-2002 water-quality classes, cross-border sections) into computations and maps.
Importing it is cheap: the heavy optional parts (maps, dask) are imported when used.
"""

import importlib
from typing import Any

from basin._errors import BasinError, CRSError, DataError, SchemaError
from basin.options import get_options, set_options

__version__ = "0.1.0"

#: The capability modules, imported on first use (``basin.zoning`` …), so that ``import basin`` stays cheap.
SUBMODULES = (
    "crossborder",
    "datasets",
    "io",
    "maps",
    "project",
    "run",
    "units",
    "waterquality",
    "zoning",
)


def __getattr__(name: str) -> Any:
    if name in SUBMODULES:
        return importlib.import_module(f"basin.{name}")
    msg = f"module 'basin' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *SUBMODULES])

__all__ = [
    "BasinError",
    "CRSError",
    "DataError",
    "SUBMODULES",
    "SchemaError",
    "__version__",
    "get_options",
    "set_options",
]
