"""Parsing what phones and trackers send: every form Traccar Client uses, and broken input."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patrolgrid.core.errors import AppError
from patrolgrid.tracking import protocol

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def test_query_parameters_as_traccar_client_sends_them() -> None:
    report = protocol.from_params(
        {
            "id": "860000000000001",
            "timestamp": "1795680000",
            "lat": "30.9305",
            "lon": "108.6970",
            "speed": "10.0",
            "bearing": "87.5",
            "altitude": "186.0",
            "accuracy": "6.0",
            "batt": "87.0",
        },
        NOW,
    )
    assert report.identifier == "860000000000001"
    assert report.ts == dt.datetime.fromtimestamp(1795680000, dt.UTC)
    assert (report.lat, report.lon) == (30.9305, 108.697)
    assert report.speed_kmh == pytest.approx(18.52)  # knots
    assert report.heading == 87.5 and report.accuracy_m == 6.0 and report.battery == 0.87


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1795676400", dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)),
        ("1795676400000", dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)),
        ("2026-11-26T07:00:00Z", dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)),
        ("2026-11-26T15:00:00+08:00", dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)),
        ("2026-11-26 07:00:00", dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)),
        (None, NOW),
    ],
)
def test_timestamps_in_seconds_milliseconds_and_iso(
    value: str | None, expected: dt.datetime
) -> None:
    params = {"id": "d1", "lat": "30", "lon": "108"}
    if value is not None:
        params["timestamp"] = value
    assert protocol.from_params(params, NOW).ts == expected


def test_location_parameter_and_deviceid_alias_and_sos() -> None:
    report = protocol.from_params(
        {"deviceid": "t-1", "location": "30.93,108.70", "alarm": "sos"}, NOW
    )
    assert (report.identifier, report.lat, report.lon, report.alarm) == (
        "t-1",
        30.93,
        108.70,
        "sos",
    )


def test_traccar_client_9_json_body() -> None:
    body = {
        "device_id": "phone-7",
        "location": {
            "timestamp": "2026-11-26T07:59:30.123Z",
            "coords": {
                "latitude": 30.93,
                "longitude": 108.70,
                "accuracy": 4.5,
                "speed": 5.0,
                "heading": -1,
                "altitude": 190,
            },
            "is_moving": True,
            "event": "motionchange",
            "battery": {"level": 0.42, "is_charging": False},
            "activity": {"type": "in_vehicle"},
            "extras": {"alarm": "sos"},
        },
    }
    report = protocol.from_traccar_json(body, NOW)
    assert report.identifier == "phone-7" and report.speed_kmh == pytest.approx(18.0)
    assert report.heading is None  # -1 means unknown
    assert report.battery == 0.42 and report.alarm == "sos"
    assert report.ts == dt.datetime(2026, 11, 26, 7, 59, 30, 123000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"id": "d", "lat": "91", "lon": "108"}, "lat"),
        ({"id": "d", "lat": "30", "lon": "-180.5"}, "lon"),
        ({"id": "d", "lat": "nan", "lon": "108"}, "lat"),
        ({"id": "d", "lat": "30", "lon": "inf"}, "lon"),
        ({"id": "d", "lat": "thirty", "lon": "108"}, "lat"),
        ({"id": "d", "lon": "108"}, "lat"),
        ({"lat": "30", "lon": "108"}, "id"),
        ({"id": "d", "lat": "30", "lon": "108", "speed": "300"}, "speed"),  # 555 km/h
        ({"id": "d", "lat": "30", "lon": "108", "timestamp": "1795700000"}, "timestamp"),
        ({"id": "d", "lat": "30", "lon": "108", "timestamp": "yesterday"}, "timestamp"),
        ({"id": "d", "lat": "30", "lon": "108", "batt": "250"}, "batt"),
        ({"id": "d", "location": "30.9"}, "location"),
    ],
)
def test_broken_reports_name_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(AppError) as refused:
        protocol.from_params(params, NOW)
    assert refused.value.status == 400 and refused.value.code == "tracking.bad_position"
    assert refused.value.details == {"field": field}


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "lat",
                "lon",
                "timestamp",
                "speed",
                "batt",
                "location",
                "bearing",
                "accuracy",
                "alarm",
            ]
        ),
        st.text(max_size=30),
    )
)
def test_any_query_either_parses_or_is_refused_cleanly(params: dict[str, str]) -> None:
    try:
        report = protocol.from_params(params, NOW)
    except AppError as exc:
        assert exc.code == "tracking.bad_position"
    else:
        assert -90 <= report.lat <= 90 and -180 <= report.lon <= 180
        assert report.ts - NOW <= dt.timedelta(minutes=5)


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "device_id",
                        "location",
                        "coords",
                        "latitude",
                        "longitude",
                        "timestamp",
                        "battery",
                        "level",
                        "extras",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=12,
    )
)
def test_any_json_either_parses_or_is_refused_cleanly(body: object) -> None:
    try:
        protocol.from_traccar_json(body, NOW)
    except AppError as exc:
        assert exc.code == "tracking.bad_position"
