"""scripts/check_lock.py reads every pin of a lock, those with extras too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_lock.py"


def check_lock():
    spec = importlib.util.spec_from_file_location("check_lock", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pins_with_extras_and_markers_are_read():
    lock = (
        "cachecontrol[filecache]==0.14.4 \\\n"
        "    --hash=sha256:00\n"
        "    # via pip-audit\n"
        "flask==3.1.3 \\\n"
        "    --hash=sha256:11\n"
        "colorama==0.4.6 ; sys_platform == 'nonexistent' \\\n"
        "    --hash=sha256:22\n"
    )
    assert check_lock().pins(lock) == {"cachecontrol": "0.14.4", "flask": "3.1.3"}


def test_the_locks_pins_with_extras_are_read():
    lock = (SCRIPT.parent.parent / "requirements" / "dev.txt").read_text("utf-8")
    with_extras = [line.split("[")[0] for line in lock.splitlines() if "]==" in line]
    assert with_extras  # cachecontrol[filecache], psycopg[binary]
    pins = check_lock().pins(lock)
    assert all(name in pins for name in with_extras)
