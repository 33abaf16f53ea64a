"""The manual (mkdocs.yml, docs/) and the README that leads to it: the settings table
lists every setting config.py has, and says truly how each is set; the layout gives every
module and package a line of its own, and the rules page names files that exist; the
README stays a short front door; the screenshots come from the browser tests."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from flask import Flask

from blogapp import load_config
from blogapp.config import DefaultConfig
from tests.browser.support import DOCS_SHOTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _settings_hook():
    path = DOCS / "hooks" / "settings_table.py"
    spec = importlib.util.spec_from_file_location("docs_settings_table", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


hook = _settings_hook()
DEFAULT_NAMES = {name for name in vars(DefaultConfig) if name.isupper()}


def test_the_settings_table_has_a_row_for_every_setting_of_config_py():
    table = hook.settings_table()
    rows = {re.match(r"\| `(\w+)` \|", line).group(1) for line in table.splitlines()[2:]}
    assert DEFAULT_NAMES <= rows, f"missing from the manual: {sorted(DEFAULT_NAMES - rows)}"
    described = {s.name for s in hook.read_settings()} - set(hook.READ_ELSEWHERE)
    assert described == DEFAULT_NAMES


def test_every_setting_says_what_it_does():
    silent = [s.name for s in hook.read_settings() if not s.meaning]
    assert not silent, (
        f"{silent}: give each a comment in blogapp/config.py, or a line in "
        "MEANINGS of docs/hooks/settings_table.py"
    )


def test_the_descriptions_name_only_settings_that_exist():
    stale = set(hook.MEANINGS) - DEFAULT_NAMES
    assert not stale, f"MEANINGS describes settings config.py no longer has: {sorted(stale)}"
    moved = set(hook.READ_ELSEWHERE) & DEFAULT_NAMES
    assert not moved, f"{sorted(moved)} have a default in config.py now: not READ_ELSEWHERE"
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "blogapp").rglob("*.py"))
    for name in hook.READ_ELSEWHERE:
        assert f'"{name}"' in code, f"nothing reads {name} any more"


def test_the_environment_variable_in_the_table_sets_that_setting(monkeypatch, tmp_path):
    settings = [s for s in hook.read_settings() if s.name in DEFAULT_NAMES]
    for s in settings:
        monkeypatch.setenv(s.environment, f"sqlite:///{s.name}")
    app = Flask("settings_check", instance_path=str(tmp_path), instance_relative_config=True)
    load_config(app, None)
    wrong = {
        s.environment: app.config[s.name]
        for s in settings
        if app.config[s.name] != f"sqlite:///{s.name}"
    }
    assert not wrong


def test_the_settings_page_gets_the_table_when_the_manual_is_built():
    markdown = (DOCS / hook.SETTINGS_PAGE).read_text(encoding="utf-8")
    assert markdown.count(hook.PLACEHOLDER) == 1

    class File:
        src_uri = hook.SETTINGS_PAGE

    class Page:
        file = File()

    built = hook.on_page_markdown(markdown, Page(), None, None)
    assert hook.PLACEHOLDER not in built
    for name in DEFAULT_NAMES:
        assert f"| `{name}` |" in built


def _layout_rows() -> set[str]:
    """The first cells of the layout's ``blogapp/`` table: one row a module or package."""
    layout = (DOCS / "developers" / "layout.md").read_text(encoding="utf-8")
    section = layout[layout.index("## `blogapp/`, module by module") :]
    return {m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", section, re.MULTILINE)}


def test_the_layout_gives_every_module_and_package_of_blogapp_a_line():
    """A module or package added without its line in the manual fails here."""
    rows = _layout_rows()
    package = ROOT / "blogapp"
    missing = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if path.name == "__init__.py" and path.parent != package:
            relative = path.parent.relative_to(package).as_posix() + "/"
        if relative not in rows:
            missing.append(relative)
    assert not missing, f"docs/developers/layout.md has no row for {missing}"


def test_the_layout_names_no_module_that_is_gone():
    package = ROOT / "blogapp"
    gone = [row for row in _layout_rows() if not (package / row).exists()]
    assert not gone, f"docs/developers/layout.md names {gone}, not in blogapp/ any more"


def test_where_a_rule_lives_names_files_that_exist():
    rules = (DOCS / "developers" / "rules.md").read_text(encoding="utf-8")
    named = re.findall(r"`((?:blogapp|tests|templates)/[^`\s]+)`", rules)
    assert "blogapp/database.py" in named and "blogapp/registry.py" in named
    gone = [path for path in named if not (ROOT / path).exists()]
    assert not gone, f"docs/developers/rules.md names {gone}, which do not exist"


def test_the_readme_is_a_front_door_that_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(readme) < 120
    body = [line for line in readme[1:] if line.strip()]
    assert body[0] == "```sh"
    assert body[1].startswith("make run ")
    assert body[2].startswith("make test ")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test", "docs", "screenshots"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_the_readmes_links_into_the_manual_lead_somewhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", readme)
    assert any(t.startswith("docs/") and t.endswith(".md") for t in targets)
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing


def test_the_manuals_screenshots_are_all_made_by_the_browser_tests():
    made = set(DOCS_SHOTS.values())
    by_hand = [
        p.name
        for p in (DOCS / "screenshots").glob("*")
        if re.sub(r"-(360|1200|1280)\.png$", "", p.name) not in made
    ]
    assert not by_hand, f"not made by `make screenshots`: {by_hand}"


def test_every_environment_variable_gunicorn_reads_is_on_the_install_page():
    config = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    read = set(re.findall(r'os\.environ(?:\.get\(|\[)"(\w+)"', config))
    assert {"BLOGAPP_BIND", "BLOGAPP_WORKERS"} <= read
    install = (DOCS / "operators" / "install.md").read_text(encoding="utf-8")
    missing = sorted(name for name in read if not re.search(rf"`{name}[`=]", install))
    assert not missing, f"docs/operators/install.md (gunicorn) does not name {missing}"
