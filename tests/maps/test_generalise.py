"""Generalisation of dense layers for the static maps: tolerance from paper and dpi, seamless class fills,
shared borders kept shared, lines drawn as compound paths."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box

from basin.maps.generalise import (
    fill_path,
    line_paths,
    map_tolerance,
    num_vertices,
    simplify_lines,
    simplify_polygons,
)

A3_IN = (420 / 25.4, 297 / 25.4)


def test_tolerance_is_a_third_of_a_pixel_of_the_paper_at_its_dpi():
    # 1000 km x 700 km padded by 2 % of 1000 km on each side: 1040 km x 740 km into 70 % x 86 % of A3
    w_in, h_in = A3_IN[0] * 0.70, A3_IN[1] * 0.86  # 11.575 in x 10.056 in
    m_per_in = max(1_040_000 / w_in, 740_000 / h_in)  # the width decides: 89,850 m per inch
    assert m_per_in == pytest.approx(89_850, rel=1e-3)
    tol = map_tolerance((0, 0, 1_000_000, 700_000), size_in=A3_IN, dpi=300)
    assert tol == pytest.approx(m_per_in / 300 / 3)  # 299.5 m per pixel -> 99.8 m
    assert tol == pytest.approx(99.8, abs=0.1)
    assert map_tolerance((0, 0, 1_000_000, 700_000), size_in=A3_IN, dpi=150) == pytest.approx(2 * tol)
    # a tall region: the height decides
    tall = map_tolerance((0, 0, 100_000, 1_000_000), size_in=A3_IN, dpi=300)
    assert tall == pytest.approx(1_040_000 / h_in / 300 / 3)
    assert map_tolerance((5, 5, 5, 5), size_in=A3_IN, dpi=300) == 0.0


def _coverage() -> gpd.GeoDataFrame:
    """Four cells of 10 x 10 in a row, the borders between them wiggly (many vertices), classes A A B A.

    Cell 0 has a square hole of 2 x 2 at (4..6, 4..6).
    """
    xs = np.linspace(0, 10, 201)
    wiggle = 0.02 * np.sin(xs * 7)  # at most 0.02 off the straight border

    def border(x0: float) -> list[tuple[float, float]]:  # the vertical border at x0, bottom to top
        return [(x0 + w, y) for y, w in zip(xs, wiggle, strict=True)]

    cells = []
    for i in range(4):
        left = border(10 * i) if i else [(0, 0), (0, 10)]
        right = border(10 * (i + 1)) if i < 3 else [(40, 0), (40, 10)]
        ring = [*right, *left[::-1]]  # up the right border, down the left one
        holes = [[(4, 4), (6, 4), (6, 6), (4, 6)]] if i == 0 else []
        cells.append(shapely.make_valid(Polygon(ring, holes)))
    return gpd.GeoDataFrame({"cls": ["A", "A", "B", "A"]}, geometry=cells, crs="EPSG:3857")


def test_the_hand_made_coverage_is_a_coverage():
    cov = _coverage()
    assert shapely.coverage_is_valid(cov.geometry.values)
    assert cov.area.sum() == pytest.approx(400 - 4)


def test_simplified_coverage_keeps_shared_borders_shared():
    cov = _coverage()
    before = num_vertices(cov.geometry.values)
    out = simplify_polygons(cov.geometry.values, 0.1)
    assert num_vertices(out) < before / 5  # the wiggles (0.02 < 0.1) are gone
    assert shapely.is_valid(out).all()
    assert shapely.coverage_is_valid(out)  # no gap, no overlap: each border was moved once for both sides
    union = shapely.union_all(out)
    assert union.area == pytest.approx(shapely.area(out).sum(), rel=1e-9)  # pieces do not overlap
    assert union.area == pytest.approx(cov.area.sum(), rel=1e-3)
    assert len(shapely.get_interior_ring(union, 0).coords) == 5  # the hole stays a hole
    for a, b in zip(cov.geometry.values, out, strict=True):  # nothing moves by more than the tolerance
        assert shapely.hausdorff_distance(a, b) <= 0.1 + 1e-9


def _raster(paths_colours, *, px: int = 83) -> np.ndarray:  # borders fall inside pixels
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(px / 20, px / 80), dpi=20)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    for paths, colour in paths_colours:
        ax.add_collection(PathCollection(paths, facecolors=colour, linewidths=0, alpha=0.75), autolim=False)
    ax.set_xlim(0, 40)
    ax.set_ylim(0, 10)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def test_a_class_drawn_as_one_path_fills_its_shared_borders_without_a_seam():
    cov = _coverage()
    geoms = cov.geometry.values
    a = (cov["cls"] == "A").to_numpy()
    img = _raster([([fill_path(geoms[a])], "#d73027")])
    row = img[img.shape[0] // 4]  # a row through the cells, away from the hole
    # the border between cell 0 and cell 1 (both A, x = 10) is as red as the cells beside it
    x10 = int(10 / 40 * img.shape[1])
    assert np.abs(row[x10 - 1 : x10 + 2] - row[x10 - 6]).max() <= 2
    # cell 2 (B) is not painted, cell 3 (A) is
    assert (row[int(25 / 40 * img.shape[1])] == 255).all()
    assert (row[int(35 / 40 * img.shape[1])] == row[x10 - 6]).all()
    # the hole of cell 0 (4..6) stays open
    centre = img[img.shape[0] // 2, int(5 / 40 * img.shape[1])]
    assert (centre == 255).all()
    # the same cells drawn one patch each leave a lighter seam along their shared border (what is avoided)
    from basin.maps.generalise import fill_path as one

    seam = _raster([([one([g]) for g in geoms[a]], "#d73027")])[img.shape[0] // 4]
    assert np.abs(seam[x10 - 1 : x10 + 2] - seam[x10 - 6]).max() > 2


def test_a_class_path_covers_the_area_of_its_pieces():
    cov = _coverage()
    geoms = cov.geometry.values
    a = (cov["cls"] == "A").to_numpy()
    path = fill_path(geoms[a])
    rings = [Polygon(p) for p in path.to_polygons(closed_only=True)]
    signed = sum((1 if r.exterior.is_ccw else -1) * r.area for r in rings)  # shells +, holes -
    assert signed == pytest.approx(shapely.area(geoms[a]).sum())
    assert sum(r.exterior.is_ccw for r in rings) == 3  # three shells anticlockwise, one hole clockwise
    assert fill_path(np.array([None, Polygon()], dtype=object)).vertices.shape == (0, 2)


def test_lines_keep_their_end_points_and_are_cut_into_whole_lines():
    lines = [LineString([(i, 0), (i + 0.5, 0.001), (i + 1, 0)]) for i in range(10)]
    simple = simplify_lines(lines, 0.01)
    assert all(len(g.coords) == 2 for g in simple)
    assert [g.coords[0] for g in simple] == [g.coords[0] for g in lines]
    assert [g.coords[-1] for g in simple] == [g.coords[-1] for g in lines]
    paths = line_paths(lines, max_vertices=7)
    assert [len(p.vertices) for p in paths] == [9, 9, 9, 3]  # whole lines of 3 vertices, about 7 per path
    starts = sum(int((p.codes == p.MOVETO).sum()) for p in paths)
    assert starts == 10
    assert line_paths([box(0, 0, 1, 1)])[0].vertices.shape == (5, 2)  # a polygon as its outline


def test_dense_fill_is_rasterised_in_the_pdf_and_rivers_stay_vector(world):
    from basin.maps import static_map

    def pdf(**kw) -> bytes:
        ax = static_map(units=world["units"], rivers=world["rivers"], admin=world["admin"], **kw)
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="pdf", dpi=100)
        return buf.getvalue()

    ax = static_map(units=world["units"], rivers=world["rivers"], admin=world["admin"], generalise=True)
    fills = [c for c in ax.collections if c.get_zorder() == 1]
    assert fills and all(c.get_rasterized() for c in fills)
    rivers = [c for c in ax.collections if c.get_zorder() == 5]
    assert rivers and not any(c.get_rasterized() for c in rivers)
    assert b"/Subtype /Image" in pdf(generalise=True)
    assert b"/Subtype /Image" not in pdf()  # a small layer stays vector
