"""The demo cameras: twelve cameras at junctions and along roads of the generated county, each
with its generated clip (`demo/media.py`) served at `/media/cameras/<code>/`.

Positions are computed from the generated network (a named junction, or a point part-way along
a named road), so they sit on the demo roads whatever the layout. The source article's 群益广场
(DOMAIN.md: its real location could not be verified) is placed in the seat's centre, and says so
in its note. One camera is switched off (under repair) so the wall shows that state too.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.cameras import flows as camera_flows
from patrolgrid.cameras import service as camera_service
from patrolgrid.cameras.models import CameraIn, StreamKind
from patrolgrid.core import audit
from patrolgrid.core.bus import Bus
from patrolgrid.demo.county import generate_demo_county
from patrolgrid.demo.media import Car, Clip, Lane, Scene
from patrolgrid.geo.network import LonLat, ParsedNetwork
from patrolgrid.org import service as org_service

MEDIA_URL = "/media/cameras/{code}/{file}"


@dataclass(frozen=True)
class Junction:
    road: str  # the camera looks along this road
    cross: str


@dataclass(frozen=True)
class AlongRoad:
    road: str
    fraction: float  # 0..1 of the road's length from its first end


@dataclass(frozen=True)
class DemoCamera:
    code: str
    name: str
    place: Junction | AlongRoad
    squadron: str  # squadron code (demo/data.py)
    scene: Scene
    output: str = "hls"  # "hls", "mp4", or "" for no stream (switched off)
    note: str = ""
    reverse: bool = False  # look the other way along the road

    @property
    def stream_url(self) -> str:
        if self.output == "mp4":
            return MEDIA_URL.format(code=self.code, file="clip.mp4")
        return MEDIA_URL.format(code=self.code, file="index.m3u8")

    @property
    def stream_kind(self) -> StreamKind:
        return StreamKind.mp4 if self.output == "mp4" else StreamKind.hls

    @property
    def clip(self) -> Clip | None:
        if not self.output:
            return None
        return Clip(self.code, self.name, self.scene, "mp4" if self.output == "mp4" else "hls")


def _lane(direction: int, speed: int, *cars: tuple[str, int, int]) -> Lane:
    return Lane(direction, speed, tuple(Car(c, length, offset) for c, length, offset in cars))


RED, WHITE, BLUE, YELLOW, GREY, GREEN = (
    "0xc0392b",
    "0xecf0f1",
    "0x2e86c1",
    "0xf1c40f",
    "0x7f8c8d",
    "0x27ae60",
)
BLACK, SILVER, ORANGE, TEAL, BUS = "0x1c2833", "0xbdc3c7", "0xd35400", "0x16a085", "0x1f7a3a"

_AVENUE = (
    _lane(1, 1, (RED, 72, 0), (BLUE, 70, 380)),
    _lane(1, 2, (WHITE, 64, 300)),
    _lane(-1, 1, (YELLOW, 66, 100), (GREEN, 62, 460)),
    _lane(-1, 2, (GREY, 76, 500)),
)

DEMO_CAMERAS: tuple[DemoCamera, ...] = (
    DemoCamera(
        "CAM-01",
        "群益广场",
        Junction("云江大道", "迎宾大道"),
        "SQ01",
        Scene(
            lanes=(
                _lane(1, 1, (BLUE, 70, 0), (WHITE, 64, 360)),
                _lane(-1, 1, (SILVER, 66, 200), (RED, 70, 560)),
                _lane(-1, 1, (BLACK, 72, 90)),
            ),
            plaza=True,
            blocked_lane=2,
        ),
        note="演示点位:原文中的群益广场,真实位置未核实,此处为生成位置",
    ),
    DemoCamera(
        "CAM-02",
        "长江大桥北桥头",
        Junction("迎宾大道", "滨江大道"),
        "SQ03",
        Scene(
            lanes=(
                _lane(1, 1, (TEAL, 60, 40), (RED, 70, 330)),
                _lane(1, 2, (WHITE, 64, 500)),
                _lane(-1, 1, (BUS, 150, 200)),
                _lane(-1, 2, (BLUE, 68, 20)),
            ),
            vertical=True,
            zebra=True,
        ),
    ),
    DemoCamera(
        "CAM-03",
        "长江大桥",
        AlongRoad("长江大桥", 0.5),
        "SQ03",
        Scene(lanes=_AVENUE, palette="dusk"),
        note="桥面中段",
    ),
    DemoCamera(
        "CAM-04",
        "滨江大道·紫纱路口",
        Junction("滨江大道", "紫纱路"),
        "SQ03",
        Scene(
            lanes=(
                _lane(1, 1, (ORANGE, 64, 120), (WHITE, 66, 520)),
                _lane(1, 1, (BLACK, 72, 300)),
                _lane(-1, 1, (SILVER, 70, 0), (GREEN, 60, 410)),
                _lane(-1, 2, (RED, 68, 250)),
            ),
            zebra=True,
        ),
    ),
    DemoCamera(
        "CAM-05",
        "移民大道·三合路口",
        Junction("移民大道", "三合路"),
        "SQ02",
        Scene(
            lanes=(
                _lane(1, 1, (YELLOW, 66, 60), (BLUE, 70, 420)),
                _lane(-1, 1, (WHITE, 64, 250), (GREY, 74, 600)),
            ),
            vertical=True,
            zebra=True,
        ),
    ),
    DemoCamera(
        "CAM-06",
        "北城大道·迎宾大道口",
        Junction("北城大道", "迎宾大道"),
        "SQ02",
        Scene(
            lanes=(
                _lane(1, 2, (RED, 70, 0)),
                _lane(1, 1, (BUS, 150, 260)),
                _lane(-1, 1, (WHITE, 64, 120), (BLACK, 72, 470)),
                _lane(-1, 1, (TEAL, 62, 330)),
            ),
            palette="night",
        ),
    ),
    DemoCamera(
        "CAM-07",
        "青龙路·唐坊路口",
        Junction("青龙路", "唐坊路"),
        "SQ01",
        Scene(
            lanes=(
                _lane(1, 1, (SILVER, 66, 0), (RED, 70, 240), (BLUE, 66, 480)),
                _lane(1, 1, (WHITE, 64, 120), (YELLOW, 66, 600)),
            ),
        ),
        output="mp4",
        note="青龙路单行(由西向东);MP4 视频文件示例",
    ),
    DemoCamera(
        "CAM-08",
        "灯笼石隧道口",
        AlongRoad("灯笼石隧道", 0.05),
        "SQ05",
        Scene(
            lanes=(
                _lane(1, 1, (WHITE, 66, 100), (RED, 70, 450)),
                _lane(-1, 1, (GREY, 76, 0), (BLUE, 68, 380)),
            ),
            palette="tunnel",
        ),
    ),
    DemoCamera(
        "CAM-09",
        "G348 红狮方向",
        AlongRoad("G348", 0.3),
        "SQ04",
        Scene(
            lanes=(
                _lane(1, 2, (WHITE, 70, 0), (SILVER, 66, 360)),
                _lane(1, 2, (BUS, 160, 200)),
                _lane(-1, 2, (RED, 70, 100), (BLACK, 72, 470)),
                _lane(-1, 2, (YELLOW, 66, 300)),
            ),
        ),
    ),
    DemoCamera(
        "CAM-10",
        "万云滨江快速路",
        AlongRoad("万云滨江快速路", 0.2),
        "SQ04",
        Scene(
            lanes=(
                _lane(1, 2, (BLUE, 70, 0), (WHITE, 66, 400)),
                _lane(1, 2, (GREY, 74, 200)),
                _lane(-1, 2, (SILVER, 66, 60)),
                _lane(-1, 2, (RED, 70, 330), (TEAL, 62, 600)),
            ),
            vertical=True,
            palette="dusk",
        ),
        note="陈家溪附近",
    ),
    DemoCamera(
        "CAM-11",
        "黄石镇正街",
        Junction("黄石正街", "黄石三巷"),
        "SQ05",
        Scene(
            lanes=(
                _lane(1, 1, (ORANGE, 56, 0), (SILVER, 66, 380)),
                _lane(-1, 1, (GREEN, 60, 200)),
            ),
            zebra=True,
        ),
    ),
    DemoCamera(
        "CAM-12",
        "沙滨路(南岸)",
        AlongRoad("沙滨路", 0.35),
        "SQ03",
        Scene(lanes=_AVENUE),
        output="",
        note="设备维修中,已停用",
    ),
)


def demo_clips() -> list[Clip]:
    return [clip for camera in DEMO_CAMERAS if (clip := camera.clip) is not None]


# ---- placing the cameras on the generated roads ---------------------------------------------


def bearing(a: LonLat, b: LonLat) -> float:
    """Degrees clockwise from north from a to b (good enough over a few hundred metres)."""
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = b[1] - a[1]
    return math.degrees(math.atan2(dx, dy)) % 360.0


class _Roads:
    def __init__(self, network: ParsedNetwork) -> None:
        self.network = network
        self.segments: dict[str, list[int]] = defaultdict(list)
        for index, segment in enumerate(network.segments):
            self.segments[network.roads[segment.road_index].name].append(index)

    def junction(self, road: str, cross: str) -> tuple[LonLat, float]:
        segs = self.network.segments
        nodes_of = {n for i in self.segments[cross] for n in (segs[i].from_node, segs[i].to_node)}
        for i in self.segments[road]:
            segment = segs[i]
            if segment.from_node in nodes_of:
                return segment.coords[0], bearing(segment.coords[0], segment.coords[1])
            if segment.to_node in nodes_of:
                return segment.coords[-1], bearing(segment.coords[-1], segment.coords[-2])
        raise LookupError(f"no junction of {road} and {cross}")

    def along(self, road: str, fraction: float) -> tuple[LonLat, float]:
        """A point `fraction` of the way along the road's chain of segments."""
        segs = [self.network.segments[i] for i in self.segments[road]]
        if not segs:
            raise LookupError(f"no road {road}")
        by_start = {s.from_node: s for s in segs}
        ends = {s.to_node for s in segs}
        first = next((s for s in segs if s.from_node not in ends), segs[0])
        chain = [first]
        while (nxt := by_start.get(chain[-1].to_node)) is not None and nxt not in chain:
            chain.append(nxt)
        points = [chain[0].coords[0]] + [p for s in chain for p in s.coords[1:]]
        lengths = [math.dist(a, b) for a, b in itertools.pairwise(points)]
        target = sum(lengths) * min(max(fraction, 0.0), 1.0)
        for (a, b), length in zip(itertools.pairwise(points), lengths, strict=True):
            if target <= length and length > 0:
                t = target / length
                return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])), bearing(a, b)
            target -= length
        return points[-1], bearing(points[-2], points[-1])


def place(network: ParsedNetwork) -> dict[str, tuple[LonLat, float]]:
    """Each demo camera's position (WGS-84) and heading on this network."""
    roads = _Roads(network)
    out = {}
    for camera in DEMO_CAMERAS:
        where = camera.place
        if isinstance(where, Junction):
            point, heading = roads.junction(where.road, where.cross)
        else:
            point, heading = roads.along(where.road, where.fraction)
        if camera.reverse:
            heading = (heading + 180.0) % 360.0
        out[camera.code] = ((round(point[0], 7), round(point[1], 7)), round(heading, 1))
    return out


async def ensure_demo_cameras(
    session: AsyncSession, bus: Bus, network: ParsedNetwork | None = None
) -> int:
    """Adds the demo cameras when there are none yet; returns how many were added."""
    if await camera_service.count_cameras(session) > 0:
        return 0
    squadrons = await org_service.squadron_lookup(session)
    placed = place(network or generate_demo_county().network)
    for camera in DEMO_CAMERAS:
        (lon, lat), heading = placed[camera.code]
        squadron = squadrons.get(camera.squadron)
        await camera_flows.create_camera(
            session,
            bus,
            CameraIn(
                code=camera.code,
                name=camera.name,
                lon=lon,
                lat=lat,
                heading=heading,
                stream_url=camera.stream_url,
                stream_kind=camera.stream_kind,
                squadron_id=squadron.id if squadron else None,
                note=camera.note,
                enabled=bool(camera.output),
            ),
            audit.SYSTEM,
        )
    return len(DEMO_CAMERAS)
