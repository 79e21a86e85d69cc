from __future__ import annotations

import pytest
from pydantic import ValidationError

from patrolgrid.config import Settings
from tests.conftest import Running


def test_defaults_put_sqlite_under_var(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert (
        settings.resolved_database_url
        == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'patrolgrid.db'}"
    )
    assert settings.bus_url == "memory://" and settings.port == 8000 and settings.locale == "zh-CN"


def test_environment_and_toml_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "site.toml"
    config.write_text('port = 9000\nlocale = "en"\nbus_url = "redis://127.0.0.1:6379/0"\n')
    monkeypatch.setenv("PATROLGRID_CONFIG", str(config))
    monkeypatch.setenv("PATROLGRID_PORT", "9100")  # the environment wins over the file
    settings = Settings()
    assert settings.port == 9100 and settings.locale == "en"
    assert settings.bus_url.startswith("redis://")


def test_bad_settings_are_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name, value in [
        ("PATROLGRID_DATABASE_URL", "mysql://x"),
        ("PATROLGRID_BUS_URL", "kafka://"),
        ("PATROLGRID_PORT", "0"),
        ("PATROLGRID_LOCALE", "fr"),
    ]:
        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError):
            Settings()
        monkeypatch.delenv(name)


def test_secret_key_is_generated_once_and_kept_private(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = Settings(data_dir=tmp_path).ensure_secret_key()
    again = Settings(data_dir=tmp_path).ensure_secret_key()
    assert first == again and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_error_uses_the_envelope(running: Running) -> None:
    for method, path, status, code in [
        ("GET", "/api/no-such-thing", 404, "not_found"),
        ("DELETE", "/api/health", 405, "method_not_allowed"),
        ("GET", "/api/org/people", 401, "auth.required"),
    ]:
        r = await running.client.request(method, path)
        assert r.status_code == status
        body = r.json()
        assert body["code"] == code and set(body) == {"code", "message", "details"}
        assert set(body["message"]) == {"zh", "en"}
    r = await running.client.post(
        "/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["details"][0]["code"] == "json_invalid"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_openapi_is_served(running: Running) -> None:
    spec = (await running.client.get("/openapi.json")).json()
    assert "/api/org/people" in spec["paths"]
    assert (await running.client.get("/docs")).status_code == 200
