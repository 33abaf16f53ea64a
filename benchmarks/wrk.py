"""Driving a server with wrk (Debian's package) and reading its figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]
    statuses: dict[int, int]
    peak_rss_kib: int = 0
    # Counted by a script that keeps them (lua/post_form.lua): requests begun, and the
    # ids its answers named. None: the script did not count.
    sent: int | None = None
    answered: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def socket_errors(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind != "status")


def combined(*results: WrkResult) -> WrkResult:
    """Several runs of one URL as one: their requests over their seconds, the mean of
    their medians (close enough for runs of equal length), the worst p99 and peak."""
    errors: dict[str, int] = {}
    statuses: dict[int, int] = {}
    for result in results:
        for kind, n in result.errors.items():
            errors[kind] = errors.get(kind, 0) + n
        for status, n in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return WrkResult(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=sum(r.p50_ms for r in results) / len(results),
        p99_ms=max(r.p99_ms for r in results),
        errors=errors,
        statuses=statuses,
        peak_rss_kib=max(r.peak_rss_kib for r in results),
    )


@dataclass
class WrkSettings:
    seconds: float = 5.0
    threads: int = 2
    connections: int = 16
    extra_lua: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return path


def _lua_string(value: str) -> str:
    assert value.isascii(), "wrk scripts carry ASCII only"
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string


def lua_preamble(values: dict[str, str]) -> str:
    return "".join(f"{name} = {_lua_string(value)}\n" for name, value in values.items())


def run_wrk(url: str, settings: WrkSettings, sample_rss=None) -> WrkResult:
    """Run wrk against ``url``; ``sample_rss()`` (KiB) is polled meanwhile and
    its largest answer kept, so workers recycled during the run still count."""
    header_lines = "".join(
        f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}\n" for k, v in settings.headers.items()
    )
    script = header_lines + settings.extra_lua + "\n" + (LUA / "report.lua").read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    peak = 0
    stop = threading.Event()

    def sampler() -> None:
        nonlocal peak
        while not stop.wait(0.2):
            peak = max(peak, sample_rss())

    watcher = threading.Thread(target=sampler) if sample_rss else None
    if watcher:
        watcher.start()
    try:
        completed = subprocess.run(
            [
                require_wrk(),
                f"-t{settings.threads}",
                f"-c{settings.connections}",
                f"-d{settings.seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                script_path,
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        stop.set()
        if watcher:
            watcher.join()
            peak = max(peak, sample_rss())
        Path(script_path).unlink(missing_ok=True)
    line = next((x for x in completed.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    data = json.loads(line.removeprefix("WRKJSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"],
        statuses={int(k): v for k, v in data["statuses"].items()},
        peak_rss_kib=peak,
        sent=data["sent"] if data["sent"] >= 0 else None,
        answered=[int(n) for n in data["answered"]],
    )
