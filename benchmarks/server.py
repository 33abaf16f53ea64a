"""Running the app under real gunicorn on a loopback port, for the browser tests,
the load tests and the benchmark alike.

The committed ``gunicorn.conf.py`` is used when it exists, so what is measured
and tested is what production runs; the bind address and the worker count
given here override it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "gunicorn.conf.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, port: int, instance_path: Path) -> dict[str, str]:
    """The environment of a server under test: its own database and instance
    folder, no rate limits and no minimum form time (tests post at machine speed)."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "proof-secret-key-not-for-production",
        "BLOGAPP_INSTANCE_PATH": str(instance_path),
        "BLOGAPP_RATELIMIT_ENABLED": "false",
        "BLOGAPP_COMMENT_MIN_SECONDS": "0",
        "BLOGAPP_SITE_URL": f"http://127.0.0.1:{port}",
    }


def gunicorn_command(app_module: str, port: int, workers: int | None) -> list[str]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn]
    if GUNICORN_CONF.exists():
        command += ["-c", str(GUNICORN_CONF)]
    else:  # the equivalent of a plain production start, until the config is committed
        command += ["--worker-class", "sync", "--timeout", "30", "--graceful-timeout", "10"]
    command += ["--bind", f"127.0.0.1:{port}"]
    if workers is not None:
        command += ["--workers", str(workers)]
    return command + [app_module]


@dataclass
class Gunicorn:
    """A gunicorn master started by ``start_gunicorn``; ``stop()`` ends it."""

    process: subprocess.Popen
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The live workers: the master's child processes (zombies excluded)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and parentheses: parse after the last ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.pid and fields[0] != "Z":
                pids.append(int(entry.name))
        return sorted(pids)

    def wait_for_workers(self, count: int, timeout: float = 30, exclude=()) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [p for p in self.worker_pids() if p not in exclude]
            if len(pids) >= count:
                return pids
            self.check_alive()
            time.sleep(0.05)
        raise TimeoutError(f"gunicorn did not reach {count} workers; log:\n{self.log_tail()}")

    def peak_rss_kib(self) -> dict[int, int]:
        """VmHWM (peak resident set) of each worker, in KiB."""
        peaks = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1])
            except OSError:
                continue
        return peaks

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {self.process.returncode}; log:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 15, graceful: bool = False) -> None:
        """End the server: SIGINT (quick shutdown) by default, SIGTERM when
        ``graceful`` (gunicorn then lets requests in flight finish)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if graceful else signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_gunicorn(
    env: Mapping[str, str],
    port: int,
    log_path: Path,
    *,
    app_module: str = "wsgi:app",
    workers: int | None = None,
    ready_path: str = "/",
    timeout: float = 60,
) -> Gunicorn:
    """Start gunicorn in the project root and return once ``ready_path`` answers
    and every worker is up."""
    full_env = {**os.environ, **env}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    process = subprocess.Popen(
        gunicorn_command(app_module, port, workers),
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a Ctrl-C in the terminal reaches us, not the server
    )
    log.close()
    server = Gunicorn(process=process, port=port, log_path=log_path, env=dict(env))
    deadline = time.monotonic() + timeout
    while True:
        server.check_alive()
        try:
            with urllib.request.urlopen(server.url + ready_path, timeout=5) as response:
                response.read()
            break
        except urllib.error.HTTPError as error:
            error.close()
            if error.code < 500:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise TimeoutError(
                f"gunicorn did not answer on {server.url}; log:\n{server.log_tail()}"
            )
        time.sleep(0.1)
    if workers:
        server.wait_for_workers(workers)
    return server
