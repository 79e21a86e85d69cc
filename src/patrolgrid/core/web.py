"""What every domain's views share: the media types of the files they send, and the app's bus
as a request dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from patrolgrid.core.bus import Bus

GEOJSON = "application/geo+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def get_bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


BusDep = Annotated[Bus, Depends(get_bus)]
