from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from patrolgrid import cli
from patrolgrid.config import get_settings
from patrolgrid.core.db import Database
from patrolgrid.roads import service
from tests.conftest import SHARED

OSM = SHARED / "data" / "osm"


def _stored(data_dir: Path) -> tuple[str | None, int]:
    async def read() -> tuple[str | None, int]:
        db = Database(f"sqlite+aiosqlite:///{data_dir / 'patrolgrid.db'}")
        async with db.sessions() as session:
            network = await service.get_network(session)
            _, segments, _ = await service.counts(session)
        await db.dispose()
        return (network.source if network else None), segments

    return asyncio.run(read())


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PATROLGRID_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner(env={"COLUMNS": "200"})  # type: ignore[misc]
    get_settings.cache_clear()


def test_import_osm_replaces_the_demo_county_and_bad_files_change_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(cli.app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    source, demo_segments = _stored(tmp_path)
    assert source == "demo" and demo_segments > 1000

    result = runner.invoke(cli.app, ["import-osm", str(OSM / "Helsinki.osm.pbf")])
    assert result.exit_code == 0, result.output
    assert "948 segments" in result.output and "27.0 km" in result.output
    assert _stored(tmp_path) == ("Helsinki.osm.pbf", 948)

    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes((OSM / "test.osm.pbf").read_bytes()[:5000])
    for bad in (broken, tmp_path / "missing.osm.pbf"):
        result = runner.invoke(cli.app, ["import-osm", str(bad)])
        assert result.exit_code == 1 and "geo." in result.output
        assert _stored(tmp_path) == ("Helsinki.osm.pbf", 948)

    # Loading the demo again never replaces a real network.
    result = runner.invoke(cli.app, ["demo", "--no-serve"])
    assert _stored(tmp_path) == ("Helsinki.osm.pbf", 948)
