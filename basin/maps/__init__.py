"""Maps: static thematic maps and charts (matplotlib), the offline interactive map (folium), the demo step.

matplotlib and folium are imported only when a map is drawn, so ``import basin.maps`` stays cheap.
See ``docs/maps.md``.
"""

from basin.maps.static import latest_compliance, save_figure, static_map, station_chart
from basin.maps.web import offline_html, web_map, write_web_map

__all__ = [
    "latest_compliance",
    "save_figure",
    "static_map",
    "station_chart",
    "offline_html",
    "web_map",
    "write_web_map",
]
