"""Stable keys for stored segments and areas, so that what other domains keep about a piece of
road (grid plans, figures) survives a re-import of the network, which renumbers every row.

- A segment of an OSM way: `w<way id>:<from node id>:<to node id>` (OSM ids do not change when the
  same area is downloaded again; a way that is split or redrawn gets new keys, which is right:
  it is a different piece of road).
- A segment of any other source (GeoJSON, the generated demo county), whose road ids are only
  feature numbers: `c:<lon>,<lat>;<lon>,<lat>`, its two ends rounded to 1e-6° (about 10 cm) and
  written in sorted order, so a line drawn the other way round keeps its key.
- An area: its source id (`r<relation id>`/`w<way id>` from OSM, `demo:area-…`), except a GeoJSON
  feature number (`f17`), which says nothing stable: there `n:<kind>:<name>`.

Two pieces with the same key (two ways between the same two points) are told apart by `#2`,
`#3`, … in the order the file lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from patrolgrid.geo.network import Area, ParsedNetwork

_FEATURE_NUMBER = re.compile(r"^f\d+$")
_OSM_WAY = re.compile(r"^w\d+$")
SEGMENT_KEY_MAX = 100
AREA_KEY_MAX = 250


def _deduplicated(keys: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        count = seen.get(key, 0) + 1
        seen[key] = count
        out.append(key if count == 1 else f"{key}#{count}")
    return out


def _point(lon: float, lat: float) -> str:
    return f"{lon:.6f},{lat:.6f}"


def segment_keys(parsed: ParsedNetwork) -> list[str]:
    """One key per segment of `parsed`, in its order."""
    keys = []
    for segment in parsed.segments:
        road = parsed.roads[segment.road_index]
        if _OSM_WAY.match(road.source_id) and segment.from_node > 0 and segment.to_node > 0:
            keys.append(f"{road.source_id}:{segment.from_node}:{segment.to_node}")
        else:
            ends = sorted((_point(*segment.coords[0]), _point(*segment.coords[-1])))
            keys.append(f"c:{ends[0]};{ends[1]}")
    return _deduplicated(keys)


def area_key(area: Area) -> str:
    if _FEATURE_NUMBER.match(area.source_id):
        return f"n:{area.kind.value}:{area.name}"[: AREA_KEY_MAX - 4]
    return area.source_id


def area_keys(parsed: ParsedNetwork) -> list[str]:
    return _deduplicated(area_key(area) for area in parsed.areas)
