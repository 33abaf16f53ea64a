"""Translations that stay whole: every string the code and templates mark is in the
Khmer catalog, translated and not fuzzy, the compiled .mo says the same, and no
template (readers' pages, the admin, mails) shows text outside ``_()`` / ``{% trans %}``."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "blogapp" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "_l": None}
METHODS = [  # as babel.cfg says
    ("blogapp/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.xml", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
# Words a reader template may show as written: each language's own name, in its script.
ALLOWED = {"English", "ខ្មែរ"}
# Attributes whose values people read (or hear, from a screen reader).
READ_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt"}
LETTERS = re.compile(r"[A-Za-z\u1780-\u17ff]")
# Keyboard shortcuts, as the keys are labelled: "(Ctrl+B)".
SHORTCUT = re.compile(r"\((?:Ctrl|Alt|Shift)(?:\+\w+)+\)")
# What an expression or a tag becomes in the walk: no letters, and valid inside a tag
# (`<p{% if … %} lang="…"{% endif %}>`) as in an attribute's value.
BLANK = " 0 "


def catalog(language: str):
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def marked_messages() -> set:
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


@pytest.mark.parametrize("language", ["km"])
def test_every_marked_string_is_translated_and_none_is_fuzzy(language):
    po = catalog(language)
    ids = {m.id for m in po if m.id}
    missing = sorted(str(m) for m in marked_messages() - ids)
    assert not missing, f"not in the {language} catalog (run `make translations`): {missing}"
    untranslated = [
        m.id
        for m in po
        if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    assert not untranslated, f"no {language} translation: {untranslated}"
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy in the {language} catalog: {fuzzy}"


@pytest.mark.parametrize("language", ["km"])
def test_the_compiled_catalog_says_what_the_po_says(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = Translations(mo)
    for message in catalog(language):
        if not message.id or isinstance(message.id, tuple):
            continue
        assert compiled.gettext(message.id) == message.string, (
            f"{message.id!r}: recompile with `make translations`"
        )


def test_translations_keep_their_placeholders():
    placeholder = re.compile(r"%\(\w+\)s")
    for message in catalog("km"):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(source[-1]))
        for string in strings:
            assert set(placeholder.findall(string)) == wanted, message.id


class _VisibleText(HTMLParser):
    """Text and read attributes of an HTML template whose Jinja parts are blanked out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.found.append(data)


def untranslated_text(env: Environment, source: str) -> list[str]:
    """The literal text a template shows outside ``{% trans %}`` blocks: Jinja's own
    lexer splits it from expressions, tags and comments, each of which becomes a blank."""
    kept: list[str] = []
    in_trans = False
    tokens = list(env.lex(source))
    for i, (_line, kind, value) in enumerate(tokens):
        if kind == "block_begin":
            name = next((v for _, k, v in tokens[i + 1 :] if k == "name"), "")
            if name == "trans":
                in_trans = True
            elif name == "endtrans":
                in_trans = False
            kept.append(BLANK)
        elif kind == "data" and not in_trans:
            kept.append(value)
        elif kind in ("variable_begin", "comment_begin"):
            kept.append(BLANK)
    parser = _VisibleText()
    parser.feed("".join(kept))
    pieces = []
    for text in parser.found:
        piece = " ".join(text.replace(BLANK.strip(), " ").split())
        if LETTERS.search(piece) and piece not in ALLOWED and not SHORTCUT.fullmatch(piece):
            pieces.append(piece)
    return pieces


def test_templates_show_no_text_outside_trans(app):
    """Readers' pages, and the admin, which speaks each account's language."""
    env = app.jinja_env
    problems = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        found = untranslated_text(env, path.read_text(encoding="utf-8"))
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert not problems, f"wrap these in _() or {{% trans %}}: {problems}"


def test_the_template_walk_finds_bare_text(app):
    """The walk itself: it sees text, attributes and text around expressions, and
    leaves translated text, comments and the allowed names alone."""
    env = app.jinja_env
    source = (
        '<nav aria-label="Main"><a href="{{ url }}">Home</a> {{ _("Search") }}</nav>'
        "{# a comment #}<p>{% trans n=1 %}Page {{ n }}{% endtrans %}</p>"
        '<label lang="km">ខ្មែរ</label><p>{{ x }} posts found</p>'
        "<script>var a = 'text';</script>"
    )
    assert untranslated_text(env, source) == ["Main", "Home", "posts found"]
