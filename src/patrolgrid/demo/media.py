"""Generated video for the demo cameras: short synthetic traffic scenes made with ffmpeg's lavfi
sources (no downloads, no footage of anyone), written as looping HLS (fMP4 segments) or an MP4
file under the media folder, which the server serves at `/media/`.

Each scene is a road seen from above: asphalt, kerbs, lane markings, boxes for cars moving
along their lanes, and an on-screen caption with the camera's name and code as a real CCTV
picture has. Every car's path repeats exactly after the clip's length, so the player's loop
has no visible seam. A scene takes about half a second to encode; clips are only made again
when what they should show changed (a stamp file per camera), so running this twice is cheap.

Without ffmpeg nothing is generated and the console shows the cameras as no signal (无信号).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 20, 6
CAR_ROOM = 80  # cars enter and leave this far outside the picture
STAMP = ".demo-media.json"
GENERATOR_VERSION = 2
CJK_FONT = "Noto Sans CJK SC"

Output = Literal["hls", "mp4"]
Palette = Literal["day", "dusk", "night", "tunnel"]


@dataclass(frozen=True)
class Car:
    color: str  # 0xRRGGBB
    length: int = 70  # px along the lane
    offset: int = 0  # px along the lane's loop at t = 0


@dataclass(frozen=True)
class Lane:
    direction: int  # +1: left to right (or top to bottom), -1: the other way
    speed: int  # laps of the picture per clip (1 or 2): the loop stays seamless
    cars: tuple[Car, ...]


@dataclass(frozen=True)
class Scene:
    """What one camera shows."""

    lanes: tuple[Lane, ...]
    vertical: bool = False  # the road runs top to bottom
    palette: Palette = "day"
    zebra: bool = False  # a pedestrian crossing across the road
    plaza: bool = False  # a paved square beside the road with people walking
    blocked_lane: int | None = None  # a tricycle stands in this lane, cars queue behind it
    extras: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Clip:
    code: str  # folder name under cameras/
    caption: str  # the name burned into the picture
    scene: Scene
    output: Output = "hls"


_PALETTES: dict[Palette, dict[str, str]] = {
    "day": {"ground": "0x5b6570", "road": "0x3b4047", "mark": "0xf2f2f2", "kerb": "0xcfd3d6"},
    "dusk": {"ground": "0x4a4f5e", "road": "0x2f333b", "mark": "0xd9d9d9", "kerb": "0xa9adb3"},
    "night": {"ground": "0x1a1f29", "road": "0x15181d", "mark": "0x8a8f99", "kerb": "0x3b414c"},
    "tunnel": {"ground": "0x2b2724", "road": "0x24262a", "mark": "0xb8b8b8", "kerb": "0x6b6358"},
}
_CENTRE_LINE = "0xe8c547"
_LANE_WIDTH = 50


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


def _cjk_font_available() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        found = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return CJK_FONT in found.stdout


def _box(x: int, y: int, w: int, h: int, color: str, enable: str | None = None) -> str:
    out = f"drawbox=x={x}:y={y}:w={w}:h={h}:color={color}:t=fill"
    return out + (f":enable='{enable}'" if enable else "")


def _road_geometry(scene: Scene) -> tuple[int, int, int]:
    """(road start across the picture, road width, picture size along the road)."""
    across = WIDTH if scene.vertical else HEIGHT
    width = _LANE_WIDTH * len(scene.lanes)
    start = across - width - 60 if scene.plaza else (across - width) // 2
    return start, width, HEIGHT if scene.vertical else WIDTH


def _xy(scene: Scene, along: int, across: int, w_along: int, w_across: int) -> str:
    """A drawbox at (along, across) in road coordinates, in picture coordinates."""
    if scene.vertical:
        return f"x={across}:y={along}:w={w_across}:h={w_along}"
    return f"x={along}:y={across}:w={w_along}:h={w_across}"


def _background(scene: Scene) -> list[str]:
    colors = _PALETTES[scene.palette]
    start, width, length = _road_geometry(scene)
    parts: list[str] = []

    def box(along: int, across: int, w_along: int, w_across: int, color: str) -> None:
        parts.append(f"drawbox={_xy(scene, along, across, w_along, w_across)}:color={color}:t=fill")

    box(0, start, length, width, colors["road"])
    box(0, start - 4, length, 4, colors["kerb"])
    box(0, start + width, length, 4, colors["kerb"])
    for i in range(1, len(scene.lanes)):
        y = start + i * _LANE_WIDTH
        if scene.lanes[i].direction != scene.lanes[i - 1].direction:
            box(0, y - 4, length, 3, _CENTRE_LINE)
            box(0, y + 1, length, 3, _CENTRE_LINE)
        else:
            for along in range(0, length, 64):
                box(along, y - 1, 32, 3, colors["mark"])
    if scene.zebra:
        zebra_at = length // 2 + 60
        for across in range(start + 6, start + width - 6, 16):
            box(zebra_at, across, 46, 9, colors["mark"])
    if scene.plaza:
        # Paving stones in a lighter grey, and a flower bed.
        for along in range(8, length, 48):
            for across in range(8, start - 12, 48):
                box(along, across, 40, 40, "0x8d949c" if scene.palette == "day" else "0x4d525c")
        box(length // 2 - 70, 40, 140, 30, "0x3f7d4a")
    if scene.palette == "tunnel":
        for along in range(10, length, 80):
            box(along, 8, 30, 8, "0xffb347")
            box(along, (WIDTH if scene.vertical else HEIGHT) - 16, 30, 8, "0xffb347")
    elif not scene.plaza:
        # Trees along the verges.
        for along in range(30, length, 120):
            for across in (start - 40, start + width + 14):
                box(along, across, 24, 24, "0x2f6b3a" if scene.palette == "day" else "0x1d3a24")
    return parts


def _car_source(car: Car, lane: Lane, scene: Scene) -> str:
    thickness = _LANE_WIDTH - 16
    front_at_end = lane.direction > 0
    w, h = (thickness, car.length) if scene.vertical else (car.length, thickness)
    src = f"color=c={car.color}:s={w}x{h}:r={FPS}:d={SECONDS}"
    windshield = car.length - 20 if front_at_end else 8
    tail = 2 if front_at_end else car.length - 6
    parts = [
        _box(
            *(
                (3, windshield, thickness - 6, 12)
                if scene.vertical
                else (windshield, 3, 12, thickness - 6)
            ),
            "0x1b2631",
        ),
    ]
    if scene.palette in ("night", "tunnel", "dusk"):
        head = car.length - 5 if front_at_end else 1
        for side in (2, thickness - 8):
            parts.append(
                _box(*((side, head, 6, 4) if scene.vertical else (head, side, 4, 6)), "0xfff3b0")
            )
            parts.append(
                _box(*((side, tail, 6, 4) if scene.vertical else (tail, side, 4, 6)), "0xff3030")
            )
    return src + "," + ",".join(parts)


def _car_position(car: Car, lane: Lane, index: int, scene: Scene) -> tuple[str, str]:
    start, _, length = _road_geometry(scene)
    loop = length + CAR_ROOM
    speed = lane.speed * loop / SECONDS
    if lane.direction > 0:
        along = f"mod(t*{speed:.4f}+{car.offset},{loop})-{CAR_ROOM}"
    else:
        along = f"{length}-mod(t*{speed:.4f}+{car.offset},{loop})"
    across = str(start + index * _LANE_WIDTH + 8)
    return (across, along) if scene.vertical else (along, across)


def _caption(clip: Clip, cjk: bool) -> list[str]:
    """A CCTV-style caption along the bottom-left: a blinking REC, the camera's name and code
    (the console's tile bar covers the top of the picture)."""
    common = "fontcolor=white:borderw=2:bordercolor=black@0.8:expansion=none"
    blink = "enable='lt(mod(t,1),0.6)'"
    out = [
        f"drawbox=x=14:y=ih-31:w=12:h=12:color=0xff3b30:t=fill:{blink}",
        f"drawtext=font='DejaVu Sans':text='REC':x=32:y=h-34:fontsize=17:{common}",
    ]
    if cjk:
        out.append(
            f"drawtext=font='{CJK_FONT}':textfile=caption.txt:x=78:y=h-38:fontsize=20:{common}"
        )
    else:
        out.append(
            f"drawtext=font='DejaVu Sans':text='{clip.code}  DEMO':x=78:y=h-34:fontsize=17:{common}"
        )
    return out


def _blocked_lane(scene: Scene, lane_index: int) -> list[str]:
    """A tricycle standing in the lane (hazard lights blinking) and the cars queued behind it."""
    start, _, length = _road_geometry(scene)
    across = start + lane_index * _LANE_WIDTH + 10
    lane = scene.lanes[lane_index]
    stop = length // 2 + (40 if lane.direction > 0 else -40)
    hazard = "enable='lt(mod(t,0.8),0.4)'"
    out = [
        f"drawbox={_xy(scene, stop, across, 44, 30)}:color=0xe67e22:t=fill",
        f"drawbox={_xy(scene, stop + 4, across + 4, 12, 22)}:color=0x6e2c00:t=fill",
        f"drawbox={_xy(scene, stop - 4, across - 2, 6, 6)}:color=0xffd000:t=fill:{hazard}",
        f"drawbox={_xy(scene, stop + 42, across + 26, 6, 6)}:color=0xffd000:t=fill:{hazard}",
    ]
    step = -84 if lane.direction > 0 else 84
    for k, color in enumerate(("0x95a5a6", "0x2e86c1", "0xecf0f1")):
        along = stop + step * (k + 1) + (0 if lane.direction > 0 else -26)
        out.append(f"drawbox={_xy(scene, along, across - 2, 70, 34)}:color={color}:t=fill")
    return out


def _walkers(scene: Scene) -> list[tuple[str, str, str]]:
    """People crossing the square slowly (sources and positions), looping with the clip."""
    start, _, length = _road_geometry(scene)
    out = []
    for k in range(6):
        loop = length + 20
        speed = loop / SECONDS
        row = 24 + (k * 41) % max(20, start - 50)
        along = f"mod(t*{speed:.4f}+{k * 97},{loop})-10"
        if k % 2:
            along = f"{length}-mod(t*{speed:.4f}+{k * 97},{loop})"
        color = ("0xf5cba7", "0xaed6f1", "0xf9e79f")[k % 3]
        source = f"color=c={color}:s=10x10:r={FPS}:d={SECONDS}"
        x, y = (str(row), along) if scene.vertical else (along, str(row))
        out.append((source, x, y))
    return out


def build_command(ffmpeg: str, clip: Clip, cjk: bool, with_text: bool = True) -> list[str]:
    """The ffmpeg command that writes `clip` into the current directory."""
    scene = clip.scene
    colors = _PALETTES[scene.palette]
    ground = f"color=c={colors['ground']}:s={WIDTH}x{HEIGHT}:r={FPS}:d={SECONDS}"
    movers: list[tuple[str, str, str]] = []  # lavfi source, x, y
    for index, lane in enumerate(scene.lanes):
        if scene.blocked_lane == index:
            continue
        for car in lane.cars:
            x, y = _car_position(car, lane, index, scene)
            movers.append((_car_source(car, lane, scene), x, y))
    if scene.plaza:
        movers += _walkers(scene)
    inputs = ["-f", "lavfi", "-i", ground]
    graph = f"[0:v]{','.join(_background(scene))}[s0]"
    for n, (source, x, y) in enumerate(movers, start=1):
        inputs += ["-f", "lavfi", "-i", source]
        graph += f";[s{n - 1}][{n}:v]overlay=x='{x}':y='{y}':shortest=1[s{n}]"
    finish = _blocked_lane(scene, scene.blocked_lane) if scene.blocked_lane is not None else []
    finish += ["noise=alls=5:allf=t", "vignette=PI/5"]
    if scene.palette == "night":
        finish.append("eq=brightness=-0.04:contrast=1.05")
    if with_text:
        finish += _caption(clip, cjk)
    graph += f";[s{len(movers)}]{','.join(finish)}[out]"
    keyframes = str(FPS * 2)
    encode = ["-map", "[out]", "-t", str(SECONDS), "-an", "-c:v", "libx264"]
    encode += ["-preset", "veryfast", "-crf", "27", "-pix_fmt", "yuv420p", "-profile:v", "main"]
    encode += ["-g", keyframes, "-keyint_min", keyframes, "-sc_threshold", "0"]
    if clip.output == "mp4":
        target = ["-movflags", "+faststart", "clip.mp4"]
    else:
        target = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"]
        target += ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"]
        target += ["-hls_segment_filename", "seg_%02d.m4s", "index.m3u8"]
    head = [ffmpeg, "-y", "-hide_banner", "-loglevel", "error"]
    return [*head, *inputs, "-filter_complex", graph, *encode, *target]


def clip_stamp(clip: Clip) -> str:
    body = json.dumps(
        {"v": GENERATOR_VERSION, "clip": asdict(clip), "size": [WIDTH, HEIGHT, FPS, SECONDS]},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _is_current(folder: Path, clip: Clip) -> bool:
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return False
    main = "clip.mp4" if clip.output == "mp4" else "index.m3u8"
    return bool(stamp.get("stamp") == clip_stamp(clip) and (folder / main).is_file())


@dataclass
class Result:
    made: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped_reason: str | None = None


def _make(ffmpeg: str, root: Path, clip: Clip, cjk: bool) -> str | None:
    """Writes one clip (into a scratch folder, then swapped in). Returns an error or None."""
    folder = root / clip.code
    work = Path(tempfile.mkdtemp(prefix=f".{clip.code}-", dir=root))
    try:
        (work / "caption.txt").write_text(f"{clip.caption}  {clip.code}  演示", encoding="utf-8")
        error = ""
        for with_text in (True, False):  # no usable font: the picture without captions
            done = subprocess.run(  # noqa: S603 - our own arguments, no shell
                build_command(ffmpeg, clip, cjk, with_text),
                cwd=work,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if done.returncode == 0:
                break
            error = done.stderr.strip()[-500:]
        else:
            return error or "ffmpeg failed"
        (work / "caption.txt").unlink()
        (work / STAMP).write_text(json.dumps({"stamp": clip_stamp(clip), "code": clip.code}))
        if folder.exists():
            shutil.rmtree(folder)
        work.rename(folder)
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def generate(
    media_dir: Path,
    clips: Sequence[Clip],
    *,
    force: bool = False,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Makes the clips under `media_dir/cameras/` that are missing or out of date."""
    result = Result()
    ffmpeg = ffmpeg_path()
    if ffmpeg is None:
        result.skipped_reason = "ffmpeg not installed"
        return result
    root = media_dir / "cameras"
    root.mkdir(parents=True, exist_ok=True)
    todo = []
    for clip in clips:
        if not force and _is_current(root / clip.code, clip):
            result.current.append(clip.code)
        else:
            todo.append(clip)
    if not todo:
        return result
    cjk = _cjk_font_available()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for clip, error in zip(
            todo, pool.map(lambda c: _make(ffmpeg, root, c, cjk), todo), strict=True
        ):
            if error is None:
                result.made.append(clip.code)
            else:
                result.failed[clip.code] = error
                log.warning("demo clip %s failed: %s", clip.code, error)
            if progress is not None:
                progress(clip.code)
    return result
