"""Travel speed (km/h) of a road segment, for travel-time routing.

A segment's signed speed limit (`maxspeed_kmh`, from OSM `maxspeed`) is used when it is present and
plausible; otherwise a default for its OSM `highway` class. The defaults are *typical* free-flow
speeds for that kind of road in a Chinese county town, picked inside the design-speed ranges of the
national road standards (JTG B01 for highways: expressway 80-120, class 1 60-100, class 2 60-80,
class 3 30-40, class 4 20-30 km/h; CJJ 37 for urban roads: expressway 60-100, arterial 40-60,
secondary 30-50, branch 20-40 km/h). The mapping from OSM class to Chinese road class is our own
assumption. They are not legal limits and no rule of law is derived from them. Deployments
override them per class (`overrides`, later from config).

No congestion or urban-realism factor is applied: a travel time is length / speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 100.0,  # 高速公路 / 城市快速路
        "motorway_link": 50.0,
        "trunk": 80.0,  # 一级公路, urban expressway
        "trunk_link": 40.0,
        "primary": 60.0,  # 主干路
        "primary_link": 40.0,
        "secondary": 50.0,  # 次干路
        "secondary_link": 30.0,
        "tertiary": 40.0,  # 支路 / 三级公路
        "tertiary_link": 30.0,
        "unclassified": 30.0,  # 四级公路, village roads
        "residential": 30.0,
        "road": 30.0,  # OSM: class not yet known
        "living_street": 10.0,
        "service": 15.0,
        "track": 15.0,
    }
)

# For a highway class that is neither in the defaults nor in the overrides.
FALLBACK_SPEED_KMH = 30.0

# A tagged maxspeed outside this range is a tagging error (e.g. mph read as km/h, "0"); ignore it.
PLAUSIBLE_MAXSPEED_KMH = (5.0, 150.0)


def speed_kmh(
    highway: str,
    maxspeed_kmh: float | None = None,
    overrides: Mapping[str, float] | None = None,
) -> float:
    """The speed to route a segment of OSM class `highway` at.

    `overrides` replaces the default for the classes it names; the others keep their defaults.
    """
    low, high = PLAUSIBLE_MAXSPEED_KMH
    if maxspeed_kmh is not None and low <= maxspeed_kmh <= high:
        return float(maxspeed_kmh)
    if overrides is not None and highway in overrides:
        speed = float(overrides[highway])
        if speed <= 0:
            raise ValueError(f"speed override for {highway!r} must be positive, got {speed}")
        return speed
    return DEFAULT_SPEEDS_KMH.get(highway, FALLBACK_SPEED_KMH)
