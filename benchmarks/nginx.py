"""nginx for the benchmark: the shipped cache recipe (``deploy/nginx-loopback.conf``)
in front of the blog's gunicorn, which also serves the pages' bytes from files
(``/__static_copy/``): the most any server can do for a page on this machine."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from benchmarks.server import PROJECT_ROOT, free_port

DEPLOY = PROJECT_ROOT / "deploy"


class Nginx:
    def __init__(self, folder: Path, upstream_port: int, pages: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise SystemExit("nginx is not installed: apt-get install nginx-light")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder / "cache", ignore_errors=True)
        copy = folder / "static_copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(pages, copy)
        self.port = free_port()
        conf = (DEPLOY / "nginx-loopback.conf").read_text()
        values = {
            "@PREFIX@": str(folder),
            "@DEPLOY@": str(DEPLOY),
            "@PORT@": str(self.port),
            "@UPSTREAMS@": f"server 127.0.0.1:{upstream_port};",
        }
        for name, value in values.items():
            conf = conf.replace(name, value)
        (folder / "nginx.conf").write_text(conf)
        command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")]
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("nginx did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
