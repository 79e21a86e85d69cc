"""What the benchmarks in this folder share: the facts of the machine a run was made on, and
rewriting one script's own section of `bench/RESULTS.md`.

A script uses it as:

    from _common import Run, write_section

    run = Run.begin()                       # the date and the load average before
    ...                                     # measure
    body = [
        "## Subject (`bench/subject.py`)",
        "",
        *run.header(".venv/bin/python bench/subject.py", libraries=["numpy", "scipy"]),
        ...                                 # the script's own table and notes
    ]
    write_section("subject.py", body)      # only between this script's markers

(scripts run as `.venv/bin/python bench/<subject>.py`, so this folder is on `sys.path`.)
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"
_PREAMBLE = (
    "# Benchmark results\n\nRecorded by the scripts in `bench/` (see `bench/README.md`); "
    "each script rewrites only its own section.\n"
)


def cpu_count() -> int:
    """CPUs this process may run on (what `nproc` says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(libraries: Iterable[str] = (), extra: Iterable[str] = ()) -> str:
    """`2 CPUs (AMD EPYC ...), Python 3.11.7, numpy 2.4.6, ...`: the CPUs, Python, the installed
    versions of `libraries` (distribution names, e.g. "scipy", "SQLAlchemy"), then `extra`
    facts as given (e.g. "SQLite 3.40.1")."""
    facts = [f"{cpu_count()} CPUs ({cpu_model()})", f"Python {platform.python_version()}"]
    for name in libraries:
        try:
            facts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            facts.append(f"{name} (not installed)")
    facts.extend(extra)
    return ", ".join(facts)


def load_average() -> str:
    """The 1/5/15-minute load averages, e.g. `0.9/1.0/1.4` (other work on the machine)."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


@dataclass(frozen=True)
class Run:
    """When a benchmark run began and how loaded the machine was then."""

    started: dt.datetime
    load_before: str

    @classmethod
    def begin(cls) -> Run:
        return cls(dt.datetime.now(dt.UTC), load_average())

    def header(
        self, command: str, libraries: Iterable[str] = (), extra: Iterable[str] = ()
    ) -> list[str]:
        """The Date (with the load average before and now, after), Machine and Command lines
        every section starts with."""
        return [
            f"- Date: {self.started:%Y-%m-%d %H:%M} UTC; load average (1/5/15 min) "
            f"{self.load_before} before, {load_average()} after",
            f"- Machine: {machine(libraries, extra)}",
            f"- Command: `{command}`",
        ]


def markers(script: str) -> tuple[str, str]:
    """The comments around a script's section, e.g. for "routing.py"."""
    return f"<!-- bench/{script}: start -->", f"<!-- bench/{script}: end -->"


def write_section(script: str, body: list[str], results: Path = RESULTS) -> Path:
    """Replaces the section of `script` (e.g. "routing.py") in RESULTS.md with `body`, or
    appends it; everything outside its markers is kept as it is. Returns the file written."""
    start, end = markers(script)
    text = results.read_text(encoding="utf-8") if results.exists() else _PREAMBLE
    section = "\n".join([start, *body, end])
    if start in text and end in text.split(start, 1)[1]:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    results.write_text(text, encoding="utf-8")
    return results
