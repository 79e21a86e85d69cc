"""The /media/ folder (signed-in camera viewers only, byte ranges) and the demo cameras with their
generated clips."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from shapely import STRtree
from shapely.geometry import LineString, Point
from sqlalchemy import select

from patrolgrid.cameras.models import Camera
from patrolgrid.config import Settings
from patrolgrid.core.auth import Role
from patrolgrid.core.bus import MemoryBus
from patrolgrid.demo import cameras as demo_cameras
from patrolgrid.demo import media
from patrolgrid.demo.county import generate_demo_county
from patrolgrid.demo.loader import load_demo
from tests.conftest import REQUIRE_SERVICES, Running


def _write_media(settings: Settings) -> Path:
    folder = settings.resolved_media_dir / "cameras" / "T1"
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    (folder / "seg_00.m4s").write_bytes(bytes(range(256)) * 4)
    return folder


async def test_media_needs_a_signed_in_camera_viewer(running: Running, settings: Settings) -> None:
    _write_media(settings)
    url = "/media/cameras/T1/index.m3u8"
    r = await running.client.get(url)
    assert r.status_code == 401 and r.json()["code"] == "auth.required"
    officer = await running.login("wang", Role.officer)
    r = await officer.get(url)
    assert r.status_code == 403 and r.json()["details"] == {"permission": "cameras:read"}
    operator = await running.login("lin", Role.operator)
    r = await operator.get(url)
    assert r.status_code == 200 and r.text.startswith("#EXTM3U")
    assert r.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    r = await operator.get("/media/cameras/T1/seg_00.m4s", headers={"Range": "bytes=256-511"})
    assert r.status_code == 206 and r.content == bytes(range(256))
    assert r.headers["content-range"] == "bytes 256-511/1024"
    missing = await operator.get("/media/cameras/NOPE/index.m3u8")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    # Nothing outside the media folder (the secret key lives next to it).
    (settings.data_dir / "secret_key").write_text("top-secret")
    for path in ("/media/..%2Fsecret_key", "/media/cameras/%2e%2e/%2e%2e/secret_key"):
        escape = await operator.get(path)
        assert escape.status_code == 404 and b"top-secret" not in escape.content, path


async def test_media_folder_may_be_missing(running: Running) -> None:
    operator = await running.login("lin", Role.operator)
    r = await operator.get("/media/cameras/CAM-01/index.m3u8")
    assert r.status_code == 404


def test_demo_cameras_sit_on_the_demo_roads() -> None:
    network = generate_demo_county().network
    placed = demo_cameras.place(network)
    assert 8 <= len(placed) <= 12
    assert len({c.code for c in demo_cameras.DEMO_CAMERAS}) == len(demo_cameras.DEMO_CAMERAS)
    lines = [LineString(s.coords) for s in network.segments]
    tree = STRtree(lines)
    for code, ((lon, lat), heading) in placed.items():
        nearest = lines[int(tree.nearest(Point(lon, lat)))]
        metres = nearest.distance(Point(lon, lat)) * 111_000
        assert metres < 5, code
        assert 0 <= heading < 360
    names = {c.name for c in demo_cameras.DEMO_CAMERAS}
    assert "群益广场" in names
    # Deterministic: the same county gives the same places.
    assert demo_cameras.place(generate_demo_county().network) == placed


def test_camera_looks_along_its_road() -> None:
    assert demo_cameras.bearing((108.7, 30.9), (108.7, 30.91)) == pytest.approx(0)
    assert demo_cameras.bearing((108.7, 30.9), (108.71, 30.9)) == pytest.approx(90)
    assert demo_cameras.bearing((108.7, 30.9), (108.69, 30.9)) == pytest.approx(270)


async def test_the_demo_loads_its_cameras_once(running: Running) -> None:
    bus = MemoryBus()
    async with running.db.sessions() as session:
        assert await load_demo(session, bus) is True
        cameras = list(await session.scalars(select(Camera).order_by(Camera.code)))
        assert len(cameras) == len(demo_cameras.DEMO_CAMERAS)
        by_code = {c.code: c for c in cameras}
        assert by_code["CAM-01"].name == "群益广场" and by_code["CAM-01"].squadron is not None
        assert by_code["CAM-07"].stream_kind == "mp4"
        assert by_code["CAM-12"].enabled is False
        assert all(c.stream_url.startswith("/media/cameras/") for c in cameras)
        assert await load_demo(session, bus) is False
        assert len(list(await session.scalars(select(Camera)))) == len(cameras)


def test_scene_paths_repeat_after_one_clip() -> None:
    """Every car's position is a function of t with period SECONDS: the loop has no seam."""
    scene = demo_cameras.DEMO_CAMERAS[0].scene
    for index, lane in enumerate(scene.lanes):
        for car in lane.cars:
            x, y = media._car_position(car, lane, index, scene)
            expression = x if not scene.vertical else y
            loop = (media.HEIGHT if scene.vertical else media.WIDTH) + media.CAR_ROOM
            speed = lane.speed * loop / media.SECONDS
            assert f"t*{speed:.4f}" in expression
            assert math.isclose(speed * media.SECONDS % loop, 0, abs_tol=1e-6)


def _need_ffmpeg() -> None:
    if media.ffmpeg_path() is None:
        message = "ffmpeg not installed (`make ffmpeg`)"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def test_clips_are_generated_once_and_replaced_when_they_change(tmp_path: Path) -> None:
    _need_ffmpeg()
    hls = next(c for c in demo_cameras.demo_clips() if c.output == "hls")
    mp4 = next(c for c in demo_cameras.demo_clips() if c.output == "mp4")
    result = media.generate(tmp_path, [hls, mp4])
    assert result.failed == {} and sorted(result.made) == sorted([hls.code, mp4.code])
    folder = tmp_path / "cameras" / hls.code
    playlist = (folder / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and '#EXT-X-MAP:URI="init.mp4"' in playlist
    segments = [line for line in playlist.splitlines() if line.endswith(".m4s")]
    assert len(segments) == media.SECONDS // 2
    assert all((folder / s).stat().st_size > 1000 for s in segments)
    assert (tmp_path / "cameras" / mp4.code / "clip.mp4").stat().st_size > 10_000
    assert json.loads((folder / media.STAMP).read_text())["stamp"] == media.clip_stamp(hls)
    # Up to date: nothing is made again.
    again = media.generate(tmp_path, [hls, mp4])
    assert again.made == [] and sorted(again.current) == sorted([hls.code, mp4.code])
    # Another caption: that clip is made again, in place.
    renamed = media.Clip(hls.code, "新名称", hls.scene, hls.output)
    third = media.generate(tmp_path, [renamed, mp4])
    assert third.made == [hls.code] and third.current == [mp4.code]
    assert not [p for p in (tmp_path / "cameras").iterdir() if p.name.startswith(".")]


def test_without_ffmpeg_nothing_is_generated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    result = media.generate(tmp_path, demo_cameras.demo_clips())
    assert result.skipped_reason == "ffmpeg not installed" and result.made == []
    assert not (tmp_path / "cameras").exists()
