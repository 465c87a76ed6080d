"""Tiny hand-made worlds for the units tests: a 3x3 grid of 1 km squares in UTM 48N and rasters over it."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 3_300_000.0
# the same projection as UTM 48N with the false easting moved by +100 km: x' = x + 100000 exactly
SHIFTED = "+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9996 +x_0=600000 +y_0=0 +datum=WGS84 +units=m +no_defs"
NODATA = -9999.0


def grid_units(crs: str = UTM) -> gpd.GeoDataFrame:
    """3x3 units of 1 km², ``u<i><j>`` with i the column (west->east) and j the row (south->north)."""
    ids, geoms = [], []
    for j in range(3):
        for i in range(3):
            ids.append(f"u{i}{j}")
            geoms.append(box(X0 + 1000 * i, Y0 + 1000 * j, X0 + 1000 * (i + 1), Y0 + 1000 * (j + 1)))
    return gpd.GeoDataFrame({"unit_id": ids, "name": ids}, geometry=geoms, crs=UTM).to_crs(crs)


def raster_values() -> np.ndarray:
    """4x4 values 10*r + c (r row from the top), nodata at the top-left cell."""
    r, c = np.mgrid[0:4, 0:4]
    v = (10 * r + c).astype("float32")
    v[0, 0] = NODATA
    return v


def write_raster(
    path: Path, values: np.ndarray, *, x0: float, y0: float, res: float, crs: str | None
) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype=values.dtype,
        crs=crs,
        transform=Affine(res, 0.0, x0, 0.0, -res, y0),
        nodata=NODATA,
    ) as dst:
        dst.write(values, 1)
    return path


def expected_grid_mean(i: int, j: int, values: np.ndarray | None = None) -> float:
    """Coverage-weighted mean for unit (i, j) over the offset 4x4 raster: 4 quarter cells, nodata left out.

    Unit (i, j) covers rows {2-j, 3-j} and columns {i, i+1}, each cell at 1/4 coverage, so the weighted mean
    is the plain mean of the valid values among those four cells.
    """
    v = raster_values() if values is None else values
    cells = [float(v[r, c]) for r in (2 - j, 3 - j) for c in (i, i + 1)]
    valid = [x for x in cells if x != NODATA]
    return sum(valid) / len(valid)


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    return grid_units()


@pytest.fixture
def offset_raster(tmp_path: Path) -> Path:
    """4x4 raster of 1 km cells offset by half a cell from the unit grid (same CRS)."""
    return write_raster(
        tmp_path / "offset.tif", raster_values(), x0=X0 - 500, y0=Y0 + 3500, res=1000, crs=UTM
    )


@pytest.fixture
def shifted_raster(tmp_path: Path) -> Path:
    """The same raster in another CRS (false easting +100 km)."""
    return write_raster(
        tmp_path / "shifted.tif", raster_values(), x0=X0 + 100_000 - 500, y0=Y0 + 3500, res=1000, crs=SHIFTED
    )
