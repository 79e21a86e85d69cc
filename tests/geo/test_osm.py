"""The road-network reader on real OSM extracts, handmade OSM XML and GeoJSON, and bad files.

The reference counts were computed independently of the reader (docs/osm-counts.md): the .pbf was
converted to OSM XML and counted with xml.etree and plain Python.
"""

from __future__ import annotations

import bz2
import random
from pathlib import Path
from typing import Any

import orjson
import osmium
import pytest
from pyproj import Geod
from shapely.geometry import shape

from patrolgrid.geo.network import AreaKind, Oneway, ParsedNetwork
from patrolgrid.geo.osm import (
    DRIVABLE_HIGHWAYS,
    NetworkFileError,
    area_kind,
    coordinate_node_id,
    is_drivable,
    parse_lanes,
    parse_maxspeed,
    parse_oneway,
    read_network,
)

OSM_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm"
HELSINKI = OSM_DATA / "Helsinki.osm.pbf"
FINNISH_TEST = OSM_DATA / "test.osm.pbf"
GEOD = Geod(ellps="WGS84")

# file: (roads with at least one segment, segments, segment end nodes, km) — docs/osm-counts.md
REFERENCE = {
    HELSINKI: (846, 948, 869, 27.0341),
    FINNISH_TEST: (173, 311, 279, 44.8673),
}


@pytest.fixture(scope="module")
def helsinki() -> ParsedNetwork:
    return read_network(HELSINKI)


def _copy_osm(source: Path, target: Path) -> Path:
    """Write the source's objects to target; osmium picks the format from target's name."""
    writer = osmium.SimpleWriter(str(target), overwrite=True)
    try:
        for obj in osmium.FileProcessor(source):
            if isinstance(obj, osmium.osm.Node):
                writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way):
                writer.add_way(obj)
            elif isinstance(obj, osmium.osm.Relation):
                writer.add_relation(obj)
    finally:
        writer.close()
    return target


def _error_code(path: Path) -> str:
    with pytest.raises(NetworkFileError) as caught:
        read_network(path)
    error = caught.value
    assert error.zh and error.en and error.status == 422
    return error.code


# --- real extracts --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(REFERENCE), ids=lambda p: p.name)
def test_counts_match_the_independent_reference(path: Path) -> None:
    roads, segments, nodes, km = REFERENCE[path]
    network = read_network(path)
    assert len(network.roads) == roads
    assert len(network.segments) == segments
    assert len(network.nodes) == nodes
    assert network.total_km == pytest.approx(km, rel=1e-3)


def test_segments_are_consistent(helsinki: ParsedNetwork) -> None:
    roads_with_segments = set()
    for segment in helsinki.segments:
        roads_with_segments.add(segment.road_index)
        assert len(segment.coords) >= 2
        assert segment.coords[0] == helsinki.nodes[segment.from_node]
        assert segment.coords[-1] == helsinki.nodes[segment.to_node]
        lons, lats = zip(*segment.coords, strict=True)
        assert segment.length_m == pytest.approx(GEOD.line_length(lons, lats), abs=1e-6)
        assert segment.length_m > 0
    assert roads_with_segments == set(range(len(helsinki.roads)))
    ends = {n for s in helsinki.segments for n in (s.from_node, s.to_node)}
    assert ends == set(helsinki.nodes)
    assert all(
        r.source_id.startswith("w") and r.highway in DRIVABLE_HIGHWAYS for r in helsinki.roads
    )


def test_tags_of_known_ways() -> None:
    network = read_network(FINNISH_TEST)
    by_id = {road.source_id: road for road in network.roads}
    hurukselantie = by_id["w4732994"]
    assert (hurukselantie.name, hurukselantie.highway) == ("Hurukselantie", "secondary")
    assert (hurukselantie.maxspeed_kmh, hurukselantie.lanes) == (80.0, 2)
    assert hurukselantie.oneway is Oneway.no
    motorways = [r for r in network.roads if r.highway == "motorway"]
    assert motorways and all(r.oneway is not Oneway.no for r in motorways)


def test_excluded_ways_are_not_read(helsinki: ParsedNetwork) -> None:
    """Footways, parking aisles and bus-only service roads (motorcar=no) are in the file but not
    in the network."""
    excluded = set()
    for way in osmium.FileProcessor(HELSINKI, osmium.osm.WAY):
        tags = way.tags
        if (
            tags.get("highway") in ("footway", "cycleway", "steps", "construction")
            or tags.get("service") == "parking_aisle"
            or tags.get("motorcar") == "no"
        ):
            excluded.add(f"w{way.id}")
    assert len(excluded) > 1000
    assert not excluded & {road.source_id for road in helsinki.roads}


def test_osm_xml_gives_the_same_network_as_pbf(tmp_path: Path, helsinki: ParsedNetwork) -> None:
    assert read_network(_copy_osm(HELSINKI, tmp_path / "helsinki.osm")) == helsinki
    small = read_network(FINNISH_TEST)
    for name in ("test.osm.gz", "test.osm.bz2"):
        assert read_network(_copy_osm(FINNISH_TEST, tmp_path / name)) == small


def test_progress_is_reported() -> None:
    calls: list[tuple[str, int, int | None]] = []
    network = read_network(FINNISH_TEST, lambda *call: calls.append(call))
    stages = [stage for stage, _, _ in calls]
    assert "ways" in stages
    assert calls[-1] == ("segments", len(network.segments), len(network.segments))


def test_clipped_boundaries_give_no_areas(helsinki: ParsedNetwork) -> None:
    # The Helsinki extract has 14 boundary relations, but the cut left none of them with all its
    # member ways, so none can be assembled (areas are tested on handmade data below).
    assert helsinki.areas == []


# --- handmade OSM XML: areas, no roads ------------------------------------------------------------

_BOUNDARY_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="30.92" lon="108.69"/>
  <node id="2" lat="30.92" lon="108.71"/>
  <node id="3" lat="30.94" lon="108.71"/>
  <node id="4" lat="30.94" lon="108.69"/>
  <node id="5" lat="30.925" lon="108.695"/>
  <node id="6" lat="30.925" lon="108.705"/>
  <node id="7" lat="30.935" lon="108.695"/>
  <node id="8" lat="30.935" lon="108.70"/>
  <node id="9" lat="30.93" lon="108.70"/>
  <node id="11" lat="30.80" lon="108.50"/>
  <node id="12" lat="30.80" lon="108.90"/>
  <node id="13" lat="31.10" lon="108.90"/>
  <node id="14" lat="31.10" lon="108.50"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
  <way id="12">
    <nd ref="7"/><nd ref="8"/><nd ref="9"/><nd ref="7"/>
    <tag k="boundary" v="administrative"/><tag k="admin_level" v="10"/>
    <tag k="name" v="滨江社区"/>
  </way>
  <way id="13">
    <nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="11"/>
  </way>
  <way id="20">
    <nd ref="5"/><nd ref="6"/>
    <tag k="highway" v="primary"/><tag k="name" v="Binjiang Avenue"/>
    <tag k="name:zh" v="滨江大道"/><tag k="maxspeed" v="60"/>
  </way>
  <relation id="100">
    <member type="way" ref="10" role="outer"/><member type="way" ref="11" role="outer"/>
    <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>
    <tag k="admin_level" v="8"/><tag k="name" v="双江街道"/>
  </relation>
  <relation id="101">
    <member type="way" ref="13" role="outer"/>
    <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>
    <tag k="admin_level" v="6"/><tag k="name" v="云阳县"/>
  </relation>
  <relation id="102">
    <member type="way" ref="13" role="outer"/>
    <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>
    <tag k="admin_level" v="8"/>
  </relation>
</osm>
"""

_NO_ROADS_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="30.92" lon="108.69"/>
  <node id="2" lat="30.92" lon="108.70"/>
  <node id="3" lat="30.93" lon="108.70"/>
  <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>
    <tag k="building" v="yes"/></way>
  <way id="2"><nd ref="1"/><nd ref="3"/><tag k="highway" v="footway"/></way>
  <way id="3"><nd ref="2"/><nd ref="3"/><tag k="highway" v="service"/>
    <tag k="access" v="private"/></way>
</osm>
"""


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_administrative_areas(tmp_path: Path, suffix: str) -> None:
    xml = tmp_path / "boundaries.osm"
    xml.write_text(_BOUNDARY_XML, encoding="utf-8")
    path = xml if suffix == ".osm" else _copy_osm(xml, tmp_path / f"boundaries{suffix}")
    network = read_network(path)
    assert [road.name for road in network.roads] == ["滨江大道"]
    areas = {area.source_id: area for area in network.areas}
    assert set(areas) == {"r100", "r101", "w12"}  # r102 has no name
    assert (areas["r100"].name, areas["r100"].kind, areas["r100"].admin_level) == (
        "双江街道",
        AreaKind.subdistrict,
        8,
    )
    assert (areas["r101"].kind, areas["w12"].kind) == (AreaKind.county, AreaKind.community)
    for area in areas.values():
        assert area.geometry["type"] == "MultiPolygon"
        assert shape(area.geometry).is_valid
    assert shape(areas["r100"].geometry).area == pytest.approx(0.02 * 0.02)


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_valid_file_without_roads(tmp_path: Path, suffix: str) -> None:
    xml = tmp_path / "buildings.osm"
    xml.write_text(_NO_ROADS_XML, encoding="utf-8")
    path = xml if suffix == ".osm" else _copy_osm(xml, tmp_path / f"buildings{suffix}")
    assert _error_code(path) == "geo.osm_no_roads"


# --- bad files ------------------------------------------------------------------------------------


def test_truncated_pbf_is_corrupt(tmp_path: Path) -> None:
    data = HELSINKI.read_bytes()
    path = tmp_path / "half.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    assert _error_code(path) == "geo.osm_corrupt"


def test_truncated_xml_is_corrupt(tmp_path: Path) -> None:
    xml = _copy_osm(FINNISH_TEST, tmp_path / "full.osm").read_bytes()
    path = tmp_path / "half.osm"
    path.write_bytes(xml[: len(xml) // 2])
    assert _error_code(path) == "geo.osm_corrupt"


def test_damaged_compressed_xml_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "half.osm.bz2"
    path.write_bytes(bz2.compress(b"<osm version='0.6'><node id='1' lat='1' lon='1'/>" * 50)[:300])
    assert _error_code(path) == "geo.osm_corrupt"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("random.osm.pbf", random.Random(7).randbytes(5000)),
        ("picture.osm.pbf", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)),
        ("empty.osm.pbf", b""),
        ("empty.osm", b""),
        ("notes.osm", "这不是 OSM 文件\nnot an OSM file\n".encode()),
        ("page.osm", b"<!DOCTYPE html><html><body>not found</body></html>"),
        ("picture.geojson", b"\x89PNG\r\n\x1a\n" + bytes(100)),
        ("plain.osm.gz", b"<osm></osm>"),
        ("roads.shp", b"\x00\x00\x27\x0a"),
    ],
)
def test_wrong_format(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert _error_code(path) == "geo.bad_format"


def test_missing_file(tmp_path: Path) -> None:
    assert _error_code(tmp_path / "nowhere.osm.pbf") == "geo.file_unreadable"


# --- tag rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("80kmh", 80.0),
        ("30 mph", 48.3),
        ("20 knots", 37.0),
        ("60;40", 40.0),
        ("CN:urban", None),
        ("RU:rural", None),
        ("none", None),
        ("signals", None),
        ("walk", None),
        ("fast", None),
        ("0", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value: str | None, kmh: float | None) -> None:
    assert parse_maxspeed(value) == kmh


@pytest.mark.parametrize(
    ("value", "lanes"),
    [("2", 2), (" 4 ", 4), ("0", None), ("2;3", None), ("two", None), (None, None)],
)
def test_parse_lanes(value: str | None, lanes: int | None) -> None:
    assert parse_lanes(value) == lanes


@pytest.mark.parametrize(
    ("tags", "oneway"),
    [
        ({"highway": "residential", "oneway": "yes"}, Oneway.forward),
        ({"highway": "residential", "oneway": "1"}, Oneway.forward),
        ({"highway": "residential", "oneway": "-1"}, Oneway.backward),
        ({"highway": "residential", "oneway": "reverse"}, Oneway.backward),
        ({"highway": "residential"}, Oneway.no),
        ({"highway": "motorway"}, Oneway.forward),
        ({"highway": "motorway", "oneway": "no"}, Oneway.no),
        ({"highway": "primary", "junction": "roundabout"}, Oneway.forward),
        ({"highway": "primary", "oneway": "reversible"}, Oneway.no),
    ],
)
def test_parse_oneway(tags: dict[str, str], oneway: Oneway) -> None:
    assert parse_oneway(tags) is oneway


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "primary_link"}, True),
        ({"highway": "service"}, True),
        ({"highway": "service", "service": "alley"}, True),
        ({"highway": "service", "service": "parking_aisle"}, False),
        ({"highway": "service", "service": "driveway"}, False),
        ({"highway": "footway"}, False),
        ({"highway": "track"}, False),
        ({"highway": "construction", "construction": "primary"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "residential", "area": "yes"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "no"}, False),
        ({"highway": "residential", "access": "private", "motor_vehicle": "yes"}, True),
        ({"highway": "service", "access": "no", "motorcar": "yes"}, True),
        ({"highway": "service", "access": "destination", "motorcar": "no"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_is_drivable(tags: dict[str, str], drivable: bool) -> None:
    assert is_drivable(tags) is drivable


@pytest.mark.parametrize(
    ("level", "name", "kind"),
    [
        (6, "云阳县", AreaKind.county),
        (8, "双江街道", AreaKind.subdistrict),
        (8, "黄石镇", AreaKind.town),
        (8, "清水土家族乡", AreaKind.township),
        (8, "Helsinki", AreaKind.town),
        (10, "滨江社区", AreaKind.community),
        (4, "重庆市", AreaKind.other),
        (None, "某村", AreaKind.community),
        (None, "Somewhere", AreaKind.other),
    ],
)
def test_area_kind(level: int | None, name: str, kind: AreaKind) -> None:
    assert area_kind(level, name) is kind


# --- GeoJSON --------------------------------------------------------------------------------------


def _feature(geometry_type: str, coordinates: Any, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": geometry_type, "coordinates": coordinates},
    }


A, B, C = [108.69, 30.93], [108.70, 30.93], [108.71, 30.93]
D, E, F = [108.70, 30.92], [108.70, 30.94], [108.72, 30.935]
G, H, J = [108.73, 30.93], [108.74, 30.93], [108.75, 30.94]
SQUARE = [[108.68, 30.91], [108.72, 30.91], [108.72, 30.95], [108.68, 30.95], [108.68, 30.91]]

HANDWRITTEN = {
    "type": "FeatureCollection",
    "features": [
        _feature(
            "LineString",
            [A, B, C],
            name="Binjiang Avenue",
            **{"name:zh": "滨江大道"},
            highway="primary",
            maxspeed="60",
            lanes=4,
        ),
        # Crosses the first at B (written 1e-8° off: the same point once snapped to 1e-7°).
        _feature("LineString", [D, [108.70000001, 30.93], E], name="迎宾大道", oneway=True),
        # Starts where the first ends.
        _feature(
            "LineString", [C, F], name="杏花路", highway="residential", oneway="-1", maxspeed=30
        ),
        _feature("MultiLineString", [[G, H], [H, J]], name="香山路", highway="tertiary"),
        _feature("LineString", [A, D], name="步道", highway="footway"),
        _feature("Point", B, name="爱家广场"),
        _feature("Polygon", [SQUARE], name="双江街道", kind="街道"),
        _feature("MultiPolygon", [[SQUARE]], name="黄石镇", admin_level=8),
        _feature("Polygon", [SQUARE]),
        {"type": "Feature", "properties": {"name": "no geometry"}, "geometry": None},
    ],
}


def _write_json(tmp_path: Path, document: Any, name: str = "roads.geojson") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(document))
    return path


def test_geojson_roads_and_intersections(tmp_path: Path) -> None:
    network = read_network(_write_json(tmp_path, HANDWRITTEN))
    roads = {road.source_id: road for road in network.roads}
    assert list(roads) == ["f1", "f2", "f3", "f4"]  # 1-based feature numbers; the footway is out
    assert (roads["f1"].name, roads["f1"].maxspeed_kmh, roads["f1"].lanes) == ("滨江大道", 60.0, 4)
    assert (roads["f2"].highway, roads["f2"].oneway) == ("road", Oneway.forward)
    assert (roads["f3"].oneway, roads["f3"].maxspeed_kmh) == (Oneway.backward, 30.0)

    pieces = {
        (network.roads[s.road_index].source_id, s.coords[0], s.coords[-1]) for s in network.segments
    }
    assert pieces == {
        ("f1", tuple(A), tuple(B)),
        ("f1", tuple(B), tuple(C)),
        ("f2", tuple(D), tuple(B)),
        ("f2", tuple(B), tuple(E)),
        ("f3", tuple(C), tuple(F)),
        ("f4", tuple(G), tuple(H)),
        ("f4", tuple(H), tuple(J)),
    }
    b_node = coordinate_node_id(*B)
    assert b_node < 0 and network.nodes[b_node] == tuple(B)
    assert sum(1 for s in network.segments if b_node in (s.from_node, s.to_node)) == 4
    assert len(network.nodes) == 9
    first = network.segments[0]
    assert first.length_m == pytest.approx(GEOD.inv(A[0], A[1], B[0], B[1])[2])


def test_geojson_areas(tmp_path: Path) -> None:
    network = read_network(_write_json(tmp_path, HANDWRITTEN, "roads.json"))
    areas = {area.source_id: area for area in network.areas}
    assert set(areas) == {"f7", "f8"}
    assert (areas["f7"].name, areas["f7"].kind, areas["f7"].geometry["type"]) == (
        "双江街道",
        AreaKind.subdistrict,
        "Polygon",
    )
    assert (areas["f8"].kind, areas["f8"].admin_level) == (AreaKind.town, 8)
    assert shape(areas["f8"].geometry).equals(shape(areas["f7"].geometry))


@pytest.mark.parametrize(
    "document",
    [
        {"type": "FeatureCollection"},
        {"type": "Topology", "objects": {}},
        [1, 2, 3],
        {"type": "FeatureCollection", "features": [{"type": "Point", "coordinates": B}]},
        {"type": "FeatureCollection", "features": [_feature("LineString", [A, [200.0, 95.0]])]},
        {"type": "FeatureCollection", "features": [_feature("LineString", "A to B")]},
        {"type": "FeatureCollection", "features": [_feature("LineString", [A, ["x", 1]])]},
        {
            "type": "FeatureCollection",
            "features": [_feature("Polygon", [SQUARE[:-1]], name="未闭合")],
        },
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
            "features": [_feature("LineString", [A, B])],
        },
    ],
)
def test_invalid_geojson(tmp_path: Path, document: Any) -> None:
    if isinstance(document, list):
        path = tmp_path / "list.geojson"
        path.write_bytes(b"{" + orjson.dumps(document))  # starts like an object, is not JSON
    else:
        path = _write_json(tmp_path, document)
    assert _error_code(path) == "geo.geojson_invalid"


def test_geojson_without_roads(tmp_path: Path) -> None:
    document = {"type": "FeatureCollection", "features": [_feature("Point", B, name="爱家广场")]}
    assert _error_code(_write_json(tmp_path, document)) == "geo.osm_no_roads"
