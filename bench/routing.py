"""Routing benchmark: our Router against networkx on the same graphs, in the same process.

Networks:
- Helsinki: the driving ways of ../shared/data/osm/Helsinki.osm.pbf (real OSM data), read here with
  osmium and cut at intersections (the product's importer is not used, so this bench measures
  the router alone).
- A generated town: a perturbed 150 x 150 grid city (arterials, one-way streets, bent streets,
  missing blocks), seeded, about 78,000 directed arcs.

Officers and incidents are put on random segments with 10 m of GPS noise, since that is where they
are. For each network it measures, per call: (a) snapping one point; (b) travel times from 500
officers to one incident, in full and with a 900 s budget; (c) a one-to-one route. networkx does
the same work on the same graph: the same snapped positions (it cannot snap, so we give it ours,
untimed), the same partial-segment offsets from a virtual node, seconds and route metres for every
officer. As a second, naive baseline, networkx answers (b) with 500 separate one-to-one searches.
Finally our node-to-node travel times are checked against networkx's on 1,000 random pairs.

Run from the repository root: `.venv/bin/python bench/routing.py` (writes its section of
bench/RESULTS.md); `--quick` for a short run that writes nothing.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import networkx as nx
import numpy as np
import osmium
import osmium.filter
import scipy
import shapely
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra

from patrolgrid.geo.network import LonLat, Oneway
from patrolgrid.geo.routing import Router, SegmentRecord, Snap, Travel
from patrolgrid.geo.speeds import speed_kmh

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = REPO / "bench" / "RESULTS.md"
SECTION_START = "<!-- bench/routing.py: start -->"
SECTION_END = "<!-- bench/routing.py: end -->"
GEOD = Geod(ellps="WGS84")
OFFICERS = 500
BUDGET_S = 900.0
GPS_NOISE_M = 10.0
T = TypeVar("T")
DRIVING = {
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "road", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
}  # fmt: skip


# --- networks -------------------------------------------------------------------------------


def geodesic_m(coords: Sequence[LonLat]) -> float:
    lons, lats = zip(*coords, strict=True)
    return float(GEOD.line_length(lons, lats))


def read_osm(path: Path) -> list[SegmentRecord]:
    """Driving ways cut at every node shared with another way (or visited twice)."""
    ways = []
    for way in (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    ):
        highway = way.tags.get("highway")
        if not way.is_way() or highway not in DRIVING:
            continue
        nodes = [(n.ref, n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
        oneway_tag = way.tags.get("oneway", "")
        if oneway_tag in ("yes", "true", "1"):
            oneway = Oneway.forward
        elif oneway_tag in ("-1", "reverse"):
            oneway = Oneway.backward
        elif oneway_tag == "" and (
            highway == "motorway" or way.tags.get("junction") in ("roundabout", "circular")
        ):
            oneway = Oneway.forward
        else:
            oneway = Oneway.no
        maxspeed = way.tags.get("maxspeed", "")
        kmh = speed_kmh(highway, float(maxspeed) if maxspeed.isdigit() else None)
        ways.append((nodes, oneway, kmh))
    uses = Counter(ref for nodes, _, _ in ways for ref, _, _ in nodes)
    records: list[SegmentRecord] = []
    for nodes, oneway, kmh in ways:
        start = 0
        for i in range(1, len(nodes)):
            if i == len(nodes) - 1 or uses[nodes[i][0]] > 1:
                piece = nodes[start : i + 1]
                coords = [(lon, lat) for _, lon, lat in piece]
                records.append(
                    SegmentRecord(
                        len(records) + 1,
                        piece[0][0],
                        piece[-1][0],
                        coords,
                        geodesic_m(coords),
                        oneway,
                        kmh,
                    )
                )
                start = i
    return records


def generated_town(
    seed: int = 2026, size: int = 150, spacing_m: float = 120.0
) -> list[SegmentRecord]:
    """A grid city near Yunyang (GENERATED, not real data): arterials every 10th street (primary,
    two-way), collectors every 5th (secondary), the rest residential with 20% one-way (direction
    alternating by street, as one-way pairs are laid out), 6% of residential streets missing
    (merged blocks), 25% bent; nodes jittered by up to 30 m."""
    rng = random.Random(seed)
    origin_lon, origin_lat = 108.60, 30.85
    per_lon = 111_320.0 * math.cos(math.radians(origin_lat))
    per_lat = 110_900.0

    def lonlat(x: float, y: float) -> LonLat:
        return origin_lon + x / per_lon, origin_lat + y / per_lat

    position = {
        r * size + c: (c * spacing_m + rng.uniform(-30, 30), r * spacing_m + rng.uniform(-30, 30))
        for r in range(size)
        for c in range(size)
    }
    records: list[SegmentRecord] = []
    for r in range(size):
        for c in range(size):
            here = r * size + c
            for neighbour, line in ((here + 1, r), (here + size, c)):
                if (neighbour == here + 1 and c + 1 == size) or neighbour >= size * size:
                    continue
                highway = (
                    "primary" if line % 10 == 0 else "secondary" if line % 5 == 0 else "residential"
                )
                oneway = Oneway.no
                bend: list[tuple[float, float]] = []
                if highway == "residential":
                    if rng.random() < 0.06:
                        continue
                    if rng.random() < 0.2:
                        oneway = Oneway.forward if line % 2 else Oneway.backward
                    if rng.random() < 0.25:
                        (x0, y0), (x1, y1) = position[here], position[neighbour]
                        bend = [
                            (
                                (x0 + x1) / 2 + rng.uniform(-15, 15),
                                (y0 + y1) / 2 + rng.uniform(-15, 15),
                            )
                        ]
                coords = [
                    lonlat(*position[here]),
                    *(lonlat(*p) for p in bend),
                    lonlat(*position[neighbour]),
                ]
                maxspeed = rng.choice([None, None, 40.0]) if highway == "secondary" else None
                records.append(
                    SegmentRecord(
                        len(records) + 1,
                        here,
                        neighbour,
                        coords,
                        geodesic_m(coords),
                        oneway,
                        speed_kmh(highway, maxspeed),
                    )
                )
    return records


# --- the networkx side ----------------------------------------------------------------------


@dataclass(frozen=True)
class End:
    """A way on or off the network for a snapped point: a node and the partial-segment cost."""

    node: int
    seconds: float
    metres: float


class NetworkxBaseline:
    """The same queries answered with networkx on the same graph and the same snapped points."""

    def __init__(self, records: Sequence[SegmentRecord]) -> None:
        self.by_id = {r.id: r for r in records}
        self.graph = nx.DiGraph()
        for r in records:
            seconds = r.length_m / (r.speed_kmh / 3.6)
            arcs = []
            if r.oneway is not Oneway.backward:
                arcs.append((r.from_node, r.to_node))
            if r.oneway is not Oneway.forward:
                arcs.append((r.to_node, r.from_node))
            for u, v in arcs:
                if u != v and (
                    not self.graph.has_edge(u, v) or self.graph[u][v]["weight"] > seconds
                ):
                    self.graph.add_edge(u, v, weight=seconds, metres=r.length_m)
        self.reverse = self.graph.reverse(copy=True)

    def ends(self, snap: Snap, *, leaving: bool) -> list[End]:
        r = self.by_id[snap.segment_id]
        f = snap.fraction
        seconds = r.length_m / (r.speed_kmh / 3.6)
        forward, backward = r.oneway is not Oneway.backward, r.oneway is not Oneway.forward
        via_from = (backward if leaving else forward) or f == 0.0
        via_to = (forward if leaving else backward) or f == 1.0
        ends = []
        if via_from:
            ends.append(End(r.from_node, f * seconds, f * r.length_m))
        if via_to:
            ends.append(End(r.to_node, (1 - f) * seconds, (1 - f) * r.length_m))
        return ends

    def direct(self, origin: Snap, destination: Snap) -> Travel | None:
        if origin.segment_id != destination.segment_id:
            return None
        r = self.by_id[origin.segment_id]
        f, g = origin.fraction, destination.fraction
        if (g > f and r.oneway is Oneway.backward) or (g < f and r.oneway is Oneway.forward):
            return None
        share = abs(g - f)
        return Travel(share * r.length_m / (r.speed_kmh / 3.6), share * r.length_m, 0.0, 0.0)

    def travel_times_to(
        self, target: Snap, sources: Sequence[Snap], limit_s: float | None
    ) -> list[tuple[float, float] | None]:
        """One reverse Dijkstra from a virtual node at the target, then every source."""
        graph, virtual = self.reverse, "target"
        for end in self.ends(target, leaving=False):
            graph.add_edge(virtual, end.node, weight=end.seconds, metres=end.metres)
        try:
            pred, dist = nx.dijkstra_predecessor_and_distance(graph, virtual, cutoff=limit_s)
        finally:
            graph.remove_node(virtual)
        metres_to: dict[object, float] = {virtual: 0.0}

        def metres(node: object) -> float:
            walk = []
            while node not in metres_to:
                walk.append(node)
                node = pred[node][0]
            total = metres_to[node]
            for child in reversed(walk):
                parent = pred[child][0]
                total += (
                    self.reverse[parent][child]["metres"]
                    if parent != virtual
                    else next(e.metres for e in self.ends(target, leaving=False) if e.node == child)
                )
                metres_to[child] = total
            return total

        results: list[tuple[float, float] | None] = []
        for source in sources:
            best: tuple[float, float] | None = None
            for end in self.ends(source, leaving=True):
                if end.node in dist and (best is None or end.seconds + dist[end.node] < best[0]):
                    best = (end.seconds + dist[end.node], end.metres + metres(end.node))
            direct = self.direct(source, target)
            if direct is not None and (best is None or direct.seconds <= best[0]):
                best = (direct.seconds, direct.metres)
            if best is not None and limit_s is not None and best[0] > limit_s:
                best = None
            results.append(best)
        return results

    def one_to_one(self, start: Snap, end: Snap) -> float | None:
        """One networkx search from a virtual start node to a virtual end node (stops there)."""
        graph = self.graph
        for e in self.ends(start, leaving=True):
            graph.add_edge("start", e.node, weight=e.seconds)
        for e in self.ends(end, leaving=False):
            graph.add_edge(e.node, "end", weight=e.seconds)
        direct = self.direct(start, end)
        if direct is not None:
            graph.add_edge("start", "end", weight=direct.seconds)
        try:
            return float(nx.single_source_dijkstra(graph, "start", target="end")[0])
        except nx.NetworkXNoPath:
            return None
        finally:
            graph.remove_nodes_from(["start", "end"])


# --- measuring ------------------------------------------------------------------------------


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """(milliseconds, result) of one call."""
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000.0, result


def stats(samples_ms: Sequence[float]) -> tuple[float, float]:
    return float(np.median(samples_ms)), float(np.percentile(samples_ms, 99))


def random_positions(
    records: Sequence[SegmentRecord], count: int, rng: random.Random
) -> list[LonLat]:
    """Points on random segments, moved by GPS-like noise."""
    points = []
    for _ in range(count):
        coords = rng.choice(records).coords
        i = rng.randrange(len(coords) - 1)
        t = rng.random()
        lon = coords[i][0] + t * (coords[i + 1][0] - coords[i][0])
        lat = coords[i][1] + t * (coords[i + 1][1] - coords[i][1])
        per_lat = 110_900.0
        per_lon = per_lat * math.cos(math.radians(lat))
        points.append(
            (lon + rng.gauss(0, GPS_NOISE_M) / per_lon, lat + rng.gauss(0, GPS_NOISE_M) / per_lat)
        )
    return points


@dataclass
class Row:
    network: str
    query: str
    ours_ms: tuple[float, float]
    ours_n: int
    theirs_ms: tuple[float, float] | None = None
    theirs_n: int = 0
    networkx_does: str = ""


def same(ours: Travel | None, theirs: tuple[float, float] | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours.seconds - theirs[0]) <= 1e-6 and abs(ours.metres - theirs[1]) <= 1e-6


def snapped(router: Router, point: LonLat) -> Snap:
    snap = router.snap(*point)
    assert snap is not None  # a network without segments is not benchmarked
    return snap


class NetworkBench:
    def __init__(self, name: str, records: list[SegmentRecord], quick: bool, seed: int) -> None:
        self.name = name
        self.records = records
        self.scale = 0.2 if quick else 1.0
        self.rng = random.Random(seed)
        build_ms, self.router = timed(lambda: Router.build(records))
        self.baseline = NetworkxBaseline(records)
        self.rows: list[Row] = []
        self.notes = [
            f"{name}: {self.router.segment_count:,} segments, {self.router.node_count:,} nodes, "
            f"{self.router.arc_count:,} directed arcs; Router.build {build_ms:.0f} ms"
        ]

    def count(self, full: int) -> int:
        return max(3, int(full * self.scale))

    def positions(self, count: int) -> list[LonLat]:
        return random_positions(self.records, count, self.rng)

    def run(self) -> None:
        self.snapping()
        self.bare_dijkstra()
        self.incident(limit_s=None)
        self.incident(limit_s=BUDGET_S)
        self.routes()
        self.node_to_node_check()

    def snapping(self) -> None:
        points = self.positions(self.count(2000))
        for point in points[:20]:
            self.router.snap(*point)
        gc.collect()
        samples = [timed(lambda p=p: self.router.snap(*p))[0] for p in points]
        self.rows.append(Row(self.name, "(a) snap one point", stats(samples), len(samples)))

    def bare_dijkstra(self) -> None:
        """The search alone, scipy against networkx on the same reversed graph from the same
        nodes: no snapping, no partial segments, no metres. It bounds the ratio (b) can reach."""
        graph = self.baseline.reverse
        nodes = list(graph.nodes)
        matrix = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight="weight", format="csr")
        sources = [self.rng.randrange(len(nodes)) for _ in range(self.count(30))]
        gc.collect()
        ours = [
            timed(lambda i=i: dijkstra(matrix, indices=i, return_predecessors=True))[0]
            for i in sources
        ]
        theirs = [
            timed(lambda i=i: nx.dijkstra_predecessor_and_distance(graph, nodes[i]))[0]
            for i in sources
        ]
        self.rows.append(
            Row(
                self.name,
                "Dijkstra alone, whole graph (bounds (b))",
                stats(ours),
                len(ours),
                theirs_ms=stats(theirs),
                theirs_n=len(theirs),
                networkx_does="dijkstra_predecessor_and_distance; ours: scipy csgraph.dijkstra "
                "with predecessors",
            )
        )

    def incident(self, limit_s: float | None) -> None:
        label = "(b) 500 officers → 1 incident"
        if limit_s is not None:
            label += f", {limit_s:.0f} s budget"
        incidents = [
            (self.positions(1)[0], self.positions(OFFICERS)) for _ in range(self.count(200))
        ]
        gc.collect()
        ours = [
            timed(lambda i=i: self.router.travel_times_to(i[0], i[1], limit_s=limit_s))
            for i in incidents
        ]
        theirs: list[float] = []
        compared = min(len(incidents), self.count(30))
        for (incident, officers), (_, our_result) in zip(incidents[:compared], ours, strict=False):
            target = snapped(self.router, incident)
            sources = [snapped(self.router, officer) for officer in officers]
            gc.collect()
            ms, their_result = timed(
                lambda t=target, s=sources: self.baseline.travel_times_to(t, s, limit_s)
            )
            theirs.append(ms)
            differing = sum(not same(a, b) for a, b in zip(our_result, their_result, strict=True))
            if differing:
                raise SystemExit(f"{self.name} {label}: {differing} results differ from networkx")
        self.notes.append(
            f"{self.name} {label}: on the {compared} incidents timed on both sides, all "
            f"{compared * OFFICERS:,} officer results equal networkx's (seconds and metres, 1e-6)"
        )
        self.rows.append(
            Row(
                self.name,
                label,
                stats([ms for ms, _ in ours]),
                len(ours),
                theirs_ms=stats(theirs),
                theirs_n=len(theirs),
                networkx_does="one reverse Dijkstra from the incident (with predecessors, for "
                "metres), then each officer",
            )
        )
        if limit_s is None:
            naive: list[float] = []
            for incident, officers in incidents[: 1 if self.scale < 1 else 2]:
                target = snapped(self.router, incident)
                sources = [snapped(self.router, officer) for officer in officers]
                gc.collect()
                naive.append(
                    timed(lambda t=target, s=sources: [self.baseline.one_to_one(x, t) for x in s])[
                        0
                    ]
                )
            self.rows.append(
                Row(
                    self.name,
                    label + " (naive baseline)",
                    stats([ms for ms, _ in ours]),
                    len(ours),
                    theirs_ms=stats(naive),
                    theirs_n=len(naive),
                    networkx_does="NAIVE: 500 separate one-to-one searches",
                )
            )

    def routes(self) -> None:
        pairs = [(self.positions(1)[0], self.positions(1)[0]) for _ in range(self.count(200))]
        gc.collect()
        ours = [timed(lambda p=p: self.router.route(p[0], p[1])) for p in pairs]
        theirs: list[float] = []
        for (start, end), (_, our_route) in list(zip(pairs, ours, strict=True))[: self.count(50)]:
            a, b = snapped(self.router, start), snapped(self.router, end)
            ms, their_seconds = timed(lambda a=a, b=b: self.baseline.one_to_one(a, b))
            theirs.append(ms)
            if (our_route is None) != (their_seconds is None) or (
                our_route is not None
                and their_seconds is not None
                and abs(our_route.seconds - their_seconds) > 1e-6
            ):
                raise SystemExit(f"{self.name}: route {start} -> {end} differs from networkx")
        self.rows.append(
            Row(
                self.name,
                "(c) one-to-one route",
                stats([ms for ms, _ in ours]),
                len(ours),
                theirs_ms=stats(theirs),
                theirs_n=len(theirs),
                networkx_does="Dijkstra from the start, stopping at the end (no geometry)",
            )
        )

    def node_to_node_check(self) -> None:
        """1,000 random node pairs (20 origins x 50 destinations): our times equal networkx's."""
        node_point: dict[int, LonLat] = {}
        for r in self.records:
            node_point[r.from_node], node_point[r.to_node] = r.coords[0], r.coords[-1]
        nodes = sorted(node_point)
        worst, checked, reachable = 0.0, 0, 0
        for _ in range(20):
            hub = self.rng.choice(nodes)
            targets = self.rng.sample(nodes, 50)
            expected = nx.single_source_dijkstra_path_length(self.baseline.graph, hub)
            got = self.router.travel_times_from(node_point[hub], [node_point[t] for t in targets])
            for node, travel in zip(targets, got, strict=True):
                checked += 1
                if (node in expected) != (travel is not None):
                    raise SystemExit(f"{self.name}: {hub} -> {node} reachability differs")
                if travel is not None:
                    reachable += 1
                    worst = max(worst, abs(travel.seconds - expected[node]))
        if worst > 1e-6:
            raise SystemExit(f"{self.name}: node-to-node times differ by up to {worst} s")
        self.notes.append(
            f"{self.name}: node-to-node travel times equal networkx's on {checked:,} random pairs "
            f"({reachable:,} reachable; largest difference {worst:.1e} s)"
        )


# --- reporting ------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown"
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return (
        f"{cpus} CPUs ({model}), Python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, shapely {shapely.__version__}, networkx {nx.__version__}"
    )


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| network | query | ours: median / p99 ms (n) | networkx: median / p99 ms (n) "
        "| networkx ÷ ours (median) | networkx does |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours = f"{row.ours_ms[0]:.2f} / {row.ours_ms[1]:.2f} ({row.ours_n})"
        theirs, ratio = "—", "—"
        if row.theirs_ms is not None:
            theirs = f"{row.theirs_ms[0]:.1f} / {row.theirs_ms[1]:.1f} ({row.theirs_n})"
            ratio = f"{row.theirs_ms[0] / row.ours_ms[0]:.0f}×"
        lines.append(
            f"| {row.network} | {row.query} | {ours} | {theirs} | {ratio} | {row.networkx_does} |"
        )
    return lines


def write_section(body: list[str]) -> None:
    if RESULTS.exists():
        text = RESULTS.read_text(encoding="utf-8")
    else:
        text = (
            "# Benchmark results\n\nRecorded by the scripts in `bench/` (see `bench/README.md`); "
            "each script rewrites only its own section.\n"
        )
    section = "\n".join([SECTION_START, *body, SECTION_END])
    if SECTION_START in text:
        before, rest = text.split(SECTION_START, 1)
        text = before + section + rest.split(SECTION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Routing benchmark: our Router against networkx.")
    parser.add_argument("--quick", action="store_true", help="few samples; write nothing")
    args = parser.parse_args()
    started = datetime.now(UTC)
    load_before = load()
    benches = [
        NetworkBench(
            "Helsinki (OSM)", read_osm(SHARED_DATA / "osm" / "Helsinki.osm.pbf"), args.quick, 1
        ),
        NetworkBench("generated town", generated_town(), args.quick, 2),
    ]
    for bench in benches:
        bench.run()
        print("\n".join(table(bench.rows)), flush=True)
    body = [
        "## Routing (`bench/routing.py`)",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; load average (1/5/15 min) {load_before} before, "
        f"{load()} after",
        f"- Machine: {machine()}",
        "- Command: `.venv/bin/python bench/routing.py`",
        f"- Wall time per call. Officers and incidents are random points on random segments with "
        f"{GPS_NOISE_M:.0f} m GPS noise. Our times include snapping every point; networkx is given "
        "our snaps, untimed, and does the rest of the same work (partial-segment offsets, seconds "
        "and metres).",
        "",
        *table([row for bench in benches for row in bench.rows]),
        "",
        *(f"- {note}" for bench in benches for note in bench.notes),
    ]
    print("\n".join(body))
    if not args.quick:
        write_section(body)
        print(f"\nwrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
