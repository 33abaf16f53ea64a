"""Check that this environment holds exactly what a lock pins (run by scripts/test).

Usage: python scripts/check_lock.py requirements/dev.txt
Every pin whose environment marker applies here must be installed at that version,
and nothing else may be installed but blogapp itself and the installer's own tools."""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions

from packaging.markers import Marker
from packaging.utils import canonicalize_name

# name, or name[extras], == version, then an optional environment marker.
PIN = re.compile(
    r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;\s*([^\\#]+?))?\s*\\?$", re.M
)
# blogapp itself, the installer, and `make lock`'s uv (pinned in requirements/tools.txt).
ALWAYS_THERE = {"blogapp", "pip", "setuptools", "wheel", "uv"}


def pins(lock_text: str) -> dict[str, str]:
    wanted = {}
    for name, version, marker in PIN.findall(lock_text):
        if not marker or Marker(marker).evaluate():
            wanted[canonicalize_name(name)] = version
    return wanted


def main(lock: str) -> int:
    wanted = pins(open(lock, encoding="utf-8").read())
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    problems = [
        f"{name}: the lock pins {version}, installed {installed.get(name, 'nothing')}"
        for name, version in sorted(wanted.items())
        if installed.get(name) != version
    ]
    problems += [
        f"{name} {version} is installed but not in the lock"
        for name, version in sorted(installed.items())
        if name not in wanted and name not in ALWAYS_THERE
    ]
    for problem in problems:
        print(f"{lock}: {problem}", file=sys.stderr)
    if problems:
        print("A virtualenv made before the lock? `make clean` and run again.", file=sys.stderr)
    if not problems:
        print(f"{lock}: {len(wanted)} packages installed exactly as pinned")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
