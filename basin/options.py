"""Global options: ``basin.set_options(metric_crs=...)`` as a context manager or a plain call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from basin._validate import cut, is_metric_crs

# China-wide Albers equal-area (the projection of the shared demo geodata): exact areas everywhere in China,
# distances within ~1 % over Sichuan-Chongqing. Distances that decide a legal question are refined
# geodesically (see basin.zoning); this CRS is for areas, overlays and maps.
DEFAULT_METRIC_CRS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs"


def _validate_crs(value: Any) -> bool:
    return is_metric_crs(value)


_OPTIONS: dict[str, Any] = {
    "metric_crs": DEFAULT_METRIC_CRS,
    "standard": "GB3838-2002",
    "progress": True,
}

_VALIDATORS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "metric_crs": (_validate_crs, "a projected CRS in metres (EPSG code, PROJ string or WKT)"),
    "standard": (lambda v: isinstance(v, str) and bool(v), "the name of a water-quality standard"),
    "progress": (lambda v: isinstance(v, bool), "True or False"),
}


class set_options:  # noqa: N801 - used like a function, as in xarray and regionmask
    """Set global options, for the rest of the session or inside a ``with`` block.

    Parameters
    ----------
    **kwargs
        ``metric_crs``: projected CRS in metres used for areas and overlays (default: China Albers);
        ``standard``: default water-quality standard (default ``"GB3838-2002"``);
        ``progress``: show progress bars on long work (default True).

    Examples
    --------
    >>> import basin
    >>> with basin.set_options(metric_crs="EPSG:32648"):
    ...     basin.get_options()["metric_crs"]
    'EPSG:32648'
    """

    def __init__(self, **kwargs: Any) -> None:
        self.old: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key not in _OPTIONS:
                msg = f"unknown option {key!r}; expected one of {sorted(_OPTIONS)}"
                raise ValueError(msg)
            check, expected = _VALIDATORS[key]
            if not check(value):
                msg = f"option {key!r} got {cut(value)}; expected {expected}"
                raise ValueError(msg)
            self.old[key] = _OPTIONS[key]
        _OPTIONS.update(kwargs)

    def __enter__(self) -> set_options:
        return self

    def __exit__(self, *exc: object) -> None:
        _OPTIONS.update(self.old)


def get_options() -> dict[str, Any]:
    """Return a copy of the current global options."""
    return dict(_OPTIONS)
