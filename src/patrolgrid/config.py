"""Settings from `PATROLGRID_*` environment variables and an optional TOML file.

Precedence (highest first): constructor arguments, environment, the TOML file named by
`PATROLGRID_CONFIG` (default `./patrolgrid.toml` when it exists), defaults.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _config_file() -> Path:
    return Path(os.environ.get("PATROLGRID_CONFIG", "patrolgrid.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PATROLGRID_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the SQLite file and secret key live.")
    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty means a SQLite file under data_dir."
    )
    bus_url: str = Field("memory://", description="memory:// (one process) or redis://host:port/db")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    access_log: bool = Field(
        False,
        description="Log every HTTP request. Off by default: every phone reports once a second, "
        "and the reverse proxy in front (nginx) keeps the access log in production.",
    )
    secret_key: str = Field("", description="Empty: generated on first run, kept in data_dir.")
    locale: Literal["zh-CN", "en"] = "zh-CN"
    session_hours: int = Field(12, ge=1, le=24 * 30)
    login_max_failures: int = Field(5, ge=1, le=100)
    login_lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    ws_queue_size: int = Field(256, ge=8, le=100_000)
    ws_heartbeat_seconds: float = Field(20.0, gt=0)
    ws_idle_timeout_seconds: float = Field(60.0, gt=0)
    tracking_offline_after_seconds: int = Field(300, ge=10, le=24 * 3600)
    tracking_sweep_seconds: float = Field(30.0, gt=0)
    # A dispatch not accepted within this time alerts the console, which offers the next officer.
    dispatch_accept_timeout_seconds: float = Field(60.0, ge=1, le=3600)
    dispatch_sweep_seconds: float = Field(2.0, gt=0)
    # An officer on the way who comes this close to the scene has arrived (到场) by themselves.
    dispatch_arrive_radius_m: float = Field(50.0, ge=5, le=1000)
    # An SOS reaches the phones of everyone on duty this close by road (and their squadron).
    sos_nearby_seconds: float = Field(600.0, ge=30, le=7200)
    # Not acknowledged this long after it was raised: escalate (commanders, leaders, SMS).
    sos_escalate_after_seconds: float = Field(30.0, ge=1, le=3600)
    sos_sweep_seconds: float = Field(2.0, gt=0)
    # Who gets the escalation SMS; empty: the mobiles of people linked to `leader` accounts.
    duty_leader_mobile: str = Field("", pattern=r"^(\+?\d{5,20})?$")
    # 见警率: a grid's roads are cut into cells of (segment × time slot of this many minutes); a
    # cell counts as covered when someone on duty in the grid was this close during the slot.
    presence_slot_minutes: int = Field(10, ge=1, le=120)
    presence_radius_m: float = Field(100.0, ge=5, le=2000)
    # A 路员 patrolling with no police officer of their grid this close for this long raises an
    # alert (辅警单独巡逻); the sweeper looks every duty_alone_sweep_seconds.
    duty_alone_radius_m: float = Field(300.0, ge=10, le=10_000)
    duty_alone_after_seconds: float = Field(600.0, ge=30, le=24 * 3600)
    duty_alone_sweep_seconds: float = Field(15.0, gt=0, le=3600)
    # STUN/TURN servers for the browsers' WebRTC (coturn in production), e.g.
    # [{"urls": "turn:turn.example:3478", "username": "u", "credential": "p"}]; none on a LAN.
    webrtc_ice_servers: list[dict[str, Any]] = Field(default_factory=list)
    sms_provider: Literal["log"] = "log"
    # Also serve the OsmAnd protocol at / on this port (Traccar Client's default is 5055).
    osmand_port: int | None = Field(None, ge=1, le=65535)
    # Run the demo simulator (moving officers, going offline) while serving.
    simulate: bool = False
    freeze_startup_heap: bool = Field(
        True,
        description="After start-up (routing graph built), move every object then alive out of "
        "the cyclic garbage collector's scans (gc.freeze): a county's network is hundreds of "
        "thousands of objects, and scanning them made full collections pause the event loop "
        "for 100-300 ms under load. Tests that start many apps in one process turn it off.",
    )
    # Optional background map tiles under our own roads; empty: no tiles (works offline).
    # An XYZ template such as https://tile.example/{z}/{x}/{y}.png; for Amap-style tiles in
    # GCJ-02 set map_tile_coord_system = "gcj02" and the console shifts our WGS-84 data to match.
    map_tile_url: str = ""
    map_tile_coord_system: Literal["wgs84", "gcj02"] = "wgs84"
    map_tile_attribution: str = ""
    map_tile_size: int = Field(256, ge=64, le=1024)
    map_tile_max_zoom: int = Field(19, ge=1, le=24)
    # Video files served at /media/ to signed-in camera viewers (the demo's generated clips);
    # empty: data_dir/media.
    media_dir: Path | None = None

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://")):
            raise ValueError("database_url must use sqlite+aiosqlite:// or postgresql+psycopg://")
        return value

    @field_validator("bus_url")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("bus_url must be memory:// or redis://...")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'patrolgrid.db').resolve()}"

    @property
    def resolved_media_dir(self) -> Path:
        return (self.media_dir or self.data_dir / "media").resolve()

    def ensure_secret_key(self) -> str:
        """Return the secret key, generating and storing one in data_dir on first run."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.is_file():
            self.secret_key = path.read_text().strip()
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.secret_key = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(self.secret_key)
        return self.secret_key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
