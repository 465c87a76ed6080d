"""Maps: static thematic maps and charts (matplotlib), the offline interactive map (folium), the demo step.

matplotlib and folium are imported only when a map is drawn, so ``import basin.maps`` stays cheap.
See ``docs/maps.md``.
"""

from typing import Any

from basin.maps.static import latest_compliance, save_figure, section_compliance, static_map, station_chart
from basin.maps.web import offline_html, web_map, write_web_map

__all__ = [
    "latest_compliance",
    "render_maps",
    "section_compliance",
    "save_figure",
    "static_map",
    "station_chart",
    "offline_html",
    "web_map",
    "write_web_map",
]


def __getattr__(name: str) -> Any:  # lazy: render_maps imports the reports' labels
    if name == "render_maps":
        from basin.maps.render import render_maps

        return render_maps
    msg = f"module 'basin.maps' has no attribute {name!r}"
    raise AttributeError(msg)
