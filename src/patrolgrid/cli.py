"""Command line: `patrolgrid serve | migrate | create-user | import-people | import-osm | demo |
demo-media`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.config import Settings, get_settings
from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.core.auth import flows as auth_flows
from patrolgrid.core.auth.models import UserCreate
from patrolgrid.core.bus import Bus, create_bus
from patrolgrid.core.db import Database
from patrolgrid.core.errors import AppError

app = typer.Typer(help="patrolgrid: 智慧交巡警指挥平台", no_args_is_help=True)
console = Console()
T = TypeVar("T")


def _run_with_db(work: Callable[[AsyncSession, Bus], Awaitable[T]]) -> T:
    """Migrate, then run `work` with a session and a started bus (so running servers hear)."""
    settings = get_settings()

    async def go() -> T:
        db = Database(settings.resolved_database_url)
        bus = create_bus(settings.bus_url)
        try:
            await db.migrate()
            await bus.start()
            async with db.sessions() as session:
                return await work(session, bus)
        finally:
            await bus.close()
            await db.dispose()

    return asyncio.run(go())


def _fail(exc: AppError) -> typer.Exit:
    console.print(f"[red]{exc.code}[/red]: {exc.zh} / {exc.en}")
    return typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
) -> None:
    """Start the server (migrations are applied on start)."""
    settings = get_settings()
    _serve(settings, host, port)


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    uvicorn.run(
        "patrolgrid.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=settings.access_log,
        ws_ping_interval=20,
        ws_ping_timeout=20,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations up to the latest."""

    async def nothing(_: AsyncSession, __: Bus) -> None:
        return None

    _run_with_db(nothing)
    console.print(f"[green]migrated[/green] {get_settings().resolved_database_url}")


@app.command("create-user")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="admin, commander, operator, officer, ...")],
    display_name: Annotated[str | None, typer.Option("--name", help="Display name")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a login account."""
    try:
        data = UserCreate(
            username=username, display_name=display_name or username, role=role, password=password
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=2) from exc

    async def work(session: AsyncSession, _: Bus) -> None:
        await auth_flows.create_user(session, data, SYSTEM)

    try:
        _run_with_db(work)
    except AppError as exc:
        raise _fail(exc) from exc
    console.print(f"[green]created[/green] {username} ({role.value})")


@app.command("import-people")
def import_people(file: Path) -> None:
    """Import people from CSV or XLSX; any bad row rejects the whole file."""
    from patrolgrid.org import flows as org_flows

    content = file.read_bytes()

    async def work(session: AsyncSession, bus: Bus) -> int:
        return await org_flows.import_people(session, bus, file.name, content, SYSTEM)

    try:
        count = _run_with_db(work)
    except AppError as exc:
        errors = (exc.details or {}).get("errors") if isinstance(exc.details, dict) else None
        if errors:
            table = Table("行 line", "列 column", "代码 code", "问题 problem")
            for err in errors:
                table.add_row(
                    str(err["line"]),
                    err["column"] or "",
                    err["code"],
                    f"{err['message']['zh']} / {err['message']['en']}",
                )
            console.print(table)
        raise _fail(exc) from exc
    console.print(f"[green]imported {count} people[/green]")


@app.command("import-osm")
def import_osm(file: Path) -> None:
    """Replace the road network with the drivable roads and areas of an .osm.pbf, .osm or
    GeoJSON file (one transaction: a bad file leaves the stored network as it was)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from patrolgrid.roads import flows as roads_flows

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            parsed = roads_flows.read_file(file, progress)
        except AppError as exc:
            raise _fail(exc) from exc
        saving = bar.add_task(_STAGES["save"], total=None)

        async def work(session: AsyncSession, bus: Bus) -> int:
            network = await roads_flows.replace_network(
                session, bus, None, parsed, file.name, SYSTEM
            )
            return network.version

        version = _run_with_db(work)
        bar.update(saving, total=1, completed=1)
    console.print(
        f"[green]imported[/green] {file.name}: {len(parsed.roads)} roads, "
        f"{len(parsed.segments)} segments, {parsed.total_km:.1f} km, {len(parsed.areas)} areas "
        f"(network version {version})"
    )


_STAGES = {
    "ways": "读取道路 ways",
    "nodes": "读取节点 nodes",
    "segments": "切分路段 segments",
    "areas": "读取区域 areas",
    "save": "写入数据库 saving",
}


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    simulate: Annotated[bool, typer.Option(help="Move the demo officers")] = True,
) -> None:
    """Load the demo brigade and accounts, print the logins, then serve (with the simulator
    moving the demo officers)."""
    from patrolgrid.demo import data
    from patrolgrid.demo.loader import load_demo

    loaded = _run_with_db(load_demo)
    settings = get_settings()
    console.print("[green]demo loaded[/green]" if loaded else "demo already loaded")
    _make_demo_media(settings, force=False)
    table = Table("用户名 username", "角色 role", "密码 password", title="演示账号 demo logins")
    for username, _name, role, _badge in data.USERS:
        table.add_row(username, role.value, data.DEMO_PASSWORD)
    console.print(table)
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(f"console: [bold]{url}/[/bold]   officer app: [bold]{url}/m/[/bold]")
    if serve_after:
        if simulate:
            os.environ["PATROLGRID_SIMULATE"] = "1"
            get_settings.cache_clear()
        _serve(get_settings(), host, port)


@app.command("demo-media")
def demo_media(
    force: Annotated[bool, typer.Option(help="Make every clip again")] = False,
) -> None:
    """Generate the demo cameras' looping video clips with ffmpeg into the media folder
    (served at /media/); clips that are already up to date are kept."""
    if not _make_demo_media(get_settings(), force=force):
        raise typer.Exit(code=1)


def _make_demo_media(settings: Settings, *, force: bool) -> bool:
    from patrolgrid.demo.cameras import demo_clips
    from patrolgrid.demo.media import generate

    folder = settings.resolved_media_dir
    with console.status("生成演示视频 generating demo camera clips…"):
        result = generate(folder, demo_clips(), force=force)
    if result.skipped_reason:
        console.print(
            f"[yellow]demo camera clips not generated ({result.skipped_reason})[/yellow]: the "
            "camera wall shows 无信号 / no signal. Install ffmpeg (`make ffmpeg`) and run "
            "`patrolgrid demo-media`."
        )
        return False
    for code, error in result.failed.items():
        console.print(f"[red]clip {code} failed[/red]: {error}")
    console.print(
        f"demo camera clips in {folder / 'cameras'}: {len(result.made)} made, "
        f"{len(result.current)} up to date"
        + (f", {len(result.failed)} failed" if result.failed else "")
    )
    return not result.failed


if __name__ == "__main__":
    app()
