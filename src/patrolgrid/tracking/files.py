"""Track exports: GPX 1.1 for GPS tools, GeoJSON for GIS and our own map."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from patrolgrid.tracking.models import Position


def track_gpx(name: str, points: list[Position]) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="patrolgrid" xmlns="http://www.topografix.com/GPX/1/1">',
        f"  <trk><name>{escape(name)}</name><trkseg>",
    ]
    for p in points:
        extras = ""
        if p.altitude is not None:
            extras += f"<ele>{p.altitude:.1f}</ele>"
        extras += f"<time>{p.ts.strftime('%Y-%m-%dT%H:%M:%SZ')}</time>"
        if p.accuracy_m is not None:
            extras += f"<hdop>{p.accuracy_m / 5:.1f}</hdop>"  # GPX has no metres field
        lines.append(
            f"    <trkpt lat={quoteattr(f'{p.lat:.7f}')} "
            f"lon={quoteattr(f'{p.lon:.7f}')}>{extras}</trkpt>"
        )
    lines.append("  </trkseg></trk>\n</gpx>\n")
    return "\n".join(lines).encode("utf-8")


def track_geojson(person_id: int, name: str, points: list[Position]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[p.lon, p.lat] for p in points]},
        "properties": {
            "person_id": person_id,
            "name": name,
            "times": [p.ts.isoformat() for p in points],
        },
    }
    stops = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {
                "ts": p.ts.isoformat(),
                "speed_kmh": p.speed_kmh,
                "heading": p.heading,
                "accuracy_m": p.accuracy_m,
            },
        }
        for p in points
    ]
    return {"type": "FeatureCollection", "features": [line, *stops] if points else []}
