"""SOS benchmark: from an officer's SOS request to its arrival at every console, under load.

One server process (`python -m patrolgrid serve`, as bench/tracking.py starts it, SQLite) with
the generated 78k-arc town of bench/routing.py as its road network (so the fan-out's travel-time
query runs), 5,000 people, 50 of them on duty (they are told of each SOS on their phones);
2,000 devices report over OsmAnd HTTP once a second from a separate process (bench/tracking.py's
`paced` load); 20 console WebSockets (another process) subscribe to `tracking` and `command`,
as the console does. Then 200 officers each raise an SOS through the app's API
(`POST /api/command/sos`), one every 0.25 s. Latency = the console's receive time of the `sos`
event with that id (taken when its bytes arrive) − the moment the request was written (the
processes share the clock); over every (SOS, console) pair.

Run from the repository root: `.venv/bin/python bench/sos.py` (writes its section of
bench/RESULTS.md); `--quick` for a short run that writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Run, write_section
from dispatch import town_network

import tracking as load

DEVICES = 2000
CONSOLES = 20
ON_DUTY = 50
SPACING_S = 0.25
TARGET_P99_MS = 100.0


async def role_sos_consoles(spec: dict[str, Any]) -> dict[str, Any]:
    """Console sockets on `tracking` and `command`; prints READY once both snapshots are in,
    keeps the first arrival of each SOS per console until `STOP` arrives on stdin."""
    arrivals: list[dict[int, float]] = []
    snapshots = {"count": 0}
    frames = {"positions": 0}

    def handler(mine: dict[int, float]) -> Callable[[load.WsConn, bytes, float], None]:
        def on_message(conn: load.WsConn, payload: bytes, arrived: float) -> None:
            for message in load.messages_of(payload):
                kind = message.get("type")
                if kind == "event" and message.get("event") == "sos":
                    mine.setdefault(int(message["data"]["id"]), arrived)
                elif kind == "event":
                    frames["positions"] += 1
                elif kind == "snapshot":
                    snapshots["count"] += 1
                elif kind == "ping":
                    conn.send({"type": "pong"})

        return on_message

    conns = []
    for token in spec["tokens"]:
        mine: dict[int, float] = {}
        arrivals.append(mine)
        conn = await load.ws_connect(spec["port"], token, handler(mine), deflate=True)
        conn.send({"type": "subscribe", "topics": ["tracking", "command"]})
        conns.append(conn)
    for _ in range(1200):
        if snapshots["count"] >= 2 * len(conns):
            break
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for conn in conns:
        assert conn.transport is not None
        conn.transport.close()
    return {
        "arrivals": [{str(k): v for k, v in mine.items()} for mine in arrivals],
        "other_events": frames["positions"],
    }


def run_role(name: str, spec_json: str) -> None:
    import uvloop

    assert name == "sos-consoles"
    result = uvloop.run(role_sos_consoles(json.loads(spec_json)))
    print("RESULT " + json.dumps(result), flush=True)


async def seed_extra(url: str) -> None:
    """The road network, and 50 people on duty (the phones an SOS is fanned out to)."""
    from sqlalchemy import insert, select

    from patrolgrid.core.db import Database, utcnow
    from patrolgrid.org.models import Person
    from patrolgrid.roads import service as roads_service
    from patrolgrid.tracking.models import PersonState

    db = Database(url)
    async with db.sessions() as session:
        await roads_service.replace_network(session, town_network(), "generated town", True)
        ids = list(await session.scalars(select(Person.id).order_by(Person.id)))
        now = utcnow()
        await session.execute(
            insert(PersonState),
            [
                {
                    "person_id": pid,
                    "status": "patrolling" if 1000 <= n < 1000 + ON_DUTY else "off_duty",
                    "status_changed_at": now,
                }
                for n, pid in enumerate(ids)
            ],
        )
        await session.commit()
    await db.dispose()


def raise_all(
    port: int, tokens: list[str], count: int, start_at: float
) -> list[tuple[int, float, float]]:
    """`count` officers each press SOS, `SPACING_S` apart: (sos id, written at, answered in s)."""
    sent = []
    with httpx.Client(base_url=f"http://{load.HOST}:{port}", timeout=30) as client:
        for i in range(count):
            due = start_at + i * SPACING_S
            time.sleep(max(0.0, due - time.time()))
            lat, lon = load.where(i, 0)
            body = {"client_ref": f"bench-{uuid.uuid4().hex}", "lon": lon, "lat": lat}
            written = time.time()
            response = client.post(
                "/api/command/sos",
                json=body,
                headers={"Authorization": f"Bearer {tokens[i]}"},
            )
            if response.status_code != 200:
                raise SystemExit(f"SOS {i} refused: {response.status_code} {response.text}")
            sent.append((int(response.json()["id"]), written, time.time() - written))
    return sent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(quick: bool, database: str) -> list[str]:
    run = Run.begin()
    count = 40 if quick else 200
    backend = load.make_backend(database)
    asyncio.run(load.seed(backend))
    asyncio.run(seed_extra(backend.url))
    port, osmand_port = load.free_port(), load.free_port()
    server = load.Server(backend, port, osmand_port)
    try:
        consoles = load.subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--role",
                "sos-consoles",
                "--spec",
                json.dumps({"port": port, "tokens": backend.console_tokens}),
            ],
            stdout=load.subprocess.PIPE,
            stdin=load.subprocess.PIPE,
            text=True,
        )
        assert consoles.stdout is not None and consoles.stdin is not None
        if consoles.stdout.readline().strip() != "READY":
            raise SystemExit("consoles did not start")
        warmup, seconds = 5.0, count * SPACING_S + 5.0
        t0 = time.time() + 1.0
        devices = load.spawn(
            "paced",
            {
                "port": port,
                "path": "/osmand",
                "devices": DEVICES,
                "period": 1.0,
                "t0": t0,
                "warmup": warmup,
                "seconds": seconds,
                "connections": 128,
            },
        )
        cpu = server.cpu()
        answered: list[list[tuple[int, float, float]]] = []
        failed: list[BaseException] = []

        def press() -> None:
            try:
                answered.append(raise_all(port, backend.people_tokens, count, t0 + warmup))
            except BaseException as exc:  # a thread's exception would go unseen
                failed.append(exc)

        presser = threading.Thread(target=press)
        presser.start()
        paced = load.result_of(devices)
        presser.join()
        if failed:
            raise failed[0]
        busy = server.cpu() - cpu
        time.sleep(2.0)
        consoles.stdin.write("STOP\n")
        consoles.stdin.flush()
        seen = load.result_of(consoles)
    finally:
        server.stop()
        if backend.drop:
            backend.drop()
    (sent,) = answered
    backend_name = "SQLite" if database == "sqlite" else "PostgreSQL"
    latencies, missing = [], 0
    for sos_id, written, _ in sent:
        for mine in seen["arrivals"]:
            arrived = mine.get(str(sos_id))
            if arrived is None:
                missing += 1
            else:
                latencies.append((arrived - written) * 1000)
    api = [took * 1000 for _, _, took in sent]
    ok = paced["statuses"].get("200", 0)
    rate = ok / seconds
    verdict = (
        "met"
        if latencies and percentile(latencies, 99) < TARGET_P99_MS and not missing
        else "NOT met"
    )
    lines = [
        *run.header(".venv/bin/python bench/sos.py", libraries=["uvicorn", "SQLAlchemy"]),
        f"- Load: {DEVICES:,} devices over OsmAnd HTTP at 1 Hz ({rate:,.0f} positions/s "
        f"accepted in the measured window, statuses {paced['statuses']}); {CONSOLES} consoles "
        f"on `tracking` + `command`; {count} SOS, one every {SPACING_S:g} s, each from a "
        f"different officer; {ON_DUTY} people on duty told on their phones; the generated "
        f"78k-arc town as the road network; {backend_name}. Server CPU "
        f"{busy / (time.time() - t0):.0%} of a core over the run.",
        "",
        "| measure | p50 ms | p99 ms | max ms | n |",
        "|---|---|---|---|---|",
        f"| SOS request → `sos` event at a console (every console) | "
        f"{percentile(latencies, 50):.1f} | {percentile(latencies, 99):.1f} | "
        f"{max(latencies):.1f} | {len(latencies):,} |",
        f"| SOS request → HTTP answer to the phone | {statistics.median(api):.1f} | "
        f"{percentile(api, 99):.1f} | {max(api):.1f} | {len(api)} |",
        "",
        f"Deliveries missing: {missing} of {count * CONSOLES}. Target: every console within "
        f"{TARGET_P99_MS:g} ms at p99 — {verdict}.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run; writes nothing")
    parser.add_argument(
        "--postgresql", action="store_true", help="PostgreSQL at 127.0.0.1 instead of SQLite"
    )
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        run_role(args.role, args.spec)
        return
    lines = measure(args.quick, "postgresql" if args.postgresql else "sqlite")
    print("\n".join(lines))
    if not args.quick:
        write_section("sos.py", ["## SOS to every console (`bench/sos.py`)", "", *lines])


if __name__ == "__main__":
    main()
