"""What a reader sees: a Khmer page shows no English interface word, an English page no
Khmer one (content, parts marked in another language and brand names left out), and
the Khmer digit setting changes a Khmer page's dates and counts and nothing on an
English page."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from blogapp.digits import LATIN_TO_KHMER, page_digits
from tests.factories import make_category, make_comment, make_post, make_user
from tests.helpers import BROWSER_POST, open_form, restart_worker, url_of

SITE_NAME = "Op-Ed Notes"
# Written as they are in every language: brand and technical names, an example address.
# The services a post is shared to are named as they name themselves, in any language.
LATIN_ALLOWED = {
    "Op-Ed",
    "Notes",
    "RSS",
    "Atom",
    "JSON",
    "IP",
    "name@example.org",
    "Facebook",
    "Telegram",
    "X",
    "WhatsApp",
}
CONTENT_CLASSES = {"entry-content", "entry-summary", "comment-content", "search-snippet"}
READ_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
KHMER = re.compile(r"[\u1780-\u17ff]")
PUBLISHED = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)


class InterfaceText(HTMLParser):
    """The text a reader sees or hears, in the page's own language: without scripts,
    styles, post and comment bodies, or any part marked with another ``lang``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.language = ""
        self.texts: list[str] = []
        self._hidden: list[bool] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "html":
            self.language = found.get("lang", "")
        hidden = (
            (self._hidden and self._hidden[-1])
            or tag in ("script", "style")
            or ("lang" in found and tag != "html" and found["lang"] != self.language)
            or bool(CONTENT_CLASSES & set((found.get("class") or "").split()))
        )
        if not hidden:
            self.texts += [v for k, v in attrs if k in READ_ATTRIBUTES and v]
        if tag not in VOID:
            self._hidden.append(hidden)

    def handle_endtag(self, tag):
        if tag not in VOID and self._hidden:
            self._hidden.pop()

    def handle_data(self, data):
        if not (self._hidden and self._hidden[-1]):
            self.texts.append(data)


def interface_text(html: str, content: list[str]) -> tuple[str, str]:
    """(the page's language, its interface text with the given content strings removed)."""
    parser = InterfaceText()
    parser.feed(html)
    text = " ".join(parser.texts)
    for item in sorted(content, key=len, reverse=True):
        text = text.replace(item, " ")
    return parser.language, " ".join(text.split())


def english_words(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z@.'-]*[A-Za-z]|[A-Za-z]", text)
    return [w for w in words if w not in LATIN_ALLOWED]


@pytest.fixture
def app_config():
    return {"MAIL_SERVER": "127.0.0.1", "SITE_NAME": SITE_NAME}


@pytest.fixture
def site(app, ctx):
    writer = make_user("sophal", display_name="សុផល")
    politics = make_category("នយោបាយ", slug="politics")
    km = make_post(
        "សេរីភាពសារព័ត៌មាន",
        "អត្ថបទ " * 200,
        language="km",
        author=writer,
        categories=[politics],
        published_at=PUBLISHED,
    )
    en = make_post(
        "Judges and the press",
        "Words " * 200,
        author=writer,
        categories=[politics],
        published_at=PUBLISHED.replace(day=28),
    )
    make_comment(km, "មតិមួយ។", author_name="ដារា")
    make_comment(en, "A comment.", author_name="Dara")
    content = [
        SITE_NAME,
        "សេរីភាពសារព័ត៌មាន",
        "Judges and the press",
        "នយោបាយ",
        "សុផល",
        "ដារា",
        "Dara",
        "អត្ថបទ",
        "សេរីភាព",
        "press",
        "reader@example.org",
    ]
    return {"km": km, "en": en, "content": content}


def khmer_pages(client, site) -> dict[str, str]:
    km = site["km"]
    form = open_form(client, km)
    form.update(author_name="", author_email="not an address", body="")
    with_errors = client.post(f"/comments/post/{km.id}", data=form, headers=BROWSER_POST)
    assert with_errors.status_code == 400
    pages = {
        "post": client.get(url_of(km)),
        "listing": client.get("/?lang=km"),
        "missing": client.get("/no/such/page/?lang=km"),
        "search": client.get("/?s=សេរីភាព&lang=km"),
        "no results": client.get("/?s=គ្មាន&lang=km"),
        "privacy": client.get("/privacy/?lang=km"),
        "your data": client.get("/your-data/?lang=km"),
        "newsletter": client.post(
            "/newsletter/subscribe?lang=km",
            headers=BROWSER_POST,
            data={"email": "reader@example.org", "lists": "km"},
        ),
    }
    assert pages["missing"].status_code == 404
    return {"comment errors": with_errors.get_data(as_text=True)} | {
        name: r.get_data(as_text=True) for name, r in pages.items()
    }


def test_khmer_pages_show_no_english_interface_word(client, site):
    for name, html in khmer_pages(client, site).items():
        language, text = interface_text(html, site["content"])
        assert language == "km", name
        assert KHMER.search(text), name
        assert english_words(text) == [], f"{name}: {english_words(text)}"


def test_the_khmer_pages_say_what_was_asked_for(client, site):
    pages = khmer_pages(client, site)
    assert "ផ្សាយនៅ៖" in pages["post"] and "បញ្ចេញមតិ" in pages["post"]
    assert "សូមបញ្ចូលឈ្មោះរបស់អ្នក។" in pages["comment errors"]
    assert "សូមបញ្ចូលអាសយដ្ឋានអ៊ីមែលត្រឹមត្រូវ" in pages["comment errors"]
    assert "រកមិនឃើញទំព័រ" in pages["missing"]
    assert "គ្មានអត្ថបទណាត្រូវនឹង «គ្មាន»" in pages["no results"]
    assert "សូមពិនិត្យប្រអប់សំបុត្ររបស់អ្នក" in pages["newsletter"]


def test_english_pages_show_no_khmer_interface_word(client, site):
    en = site["en"]
    pages = {
        "post": client.get(url_of(en)),
        "listing": client.get("/"),
        "missing": client.get("/no/such/page/"),
        "search": client.get("/?s=judges"),
        "privacy": client.get("/privacy/"),
    }
    for name, response in pages.items():
        language, text = interface_text(response.get_data(as_text=True), site["content"])
        assert language == "en", name
        assert "Posted on" in text or name in ("missing", "privacy"), name
        assert not KHMER.search(text), f"{name}: {text}"


def test_khmer_digits_map_each_latin_digit():
    assert "0123456789".translate(LATIN_TO_KHMER) == "".join(chr(c) for c in range(0x17E0, 0x17EA))


def test_page_digits_follow_the_setting_only_in_khmer(app):
    with app.app_context():
        assert page_digits("29 វិច្ឆិកា 2026", "km") == "២៩ វិច្ឆិកា ២០២៦"
        assert page_digits("November 29, 2026", "en") == "November 29, 2026"
        app.config["KHMER_DIGITS"] = False
        assert page_digits("29 វិច្ឆិកា 2026", "km") == "29 វិច្ឆិកា 2026"


def test_the_digit_setting_changes_khmer_dates_and_counts_and_no_english_page(app, client, site):
    km_url, en_url = url_of(site["km"]), url_of(site["en"])
    moment = time.time()  # the comment form signs the time: the same for both renders
    app.config["CLOCK"] = lambda: moment
    urls = (km_url, "/?lang=km", "/", en_url)
    with_khmer = {u: client.get(u).get_data(as_text=True) for u in urls}
    app.config["KHMER_DIGITS"] = False
    restart_worker(app)
    with_latin = {u: client.get(u).get_data(as_text=True) for u in urls}

    assert "២៩ វិច្ឆិកា ២០២៦" in with_khmer[km_url]  # the byline's date
    assert "29 វិច្ឆិកា 2026" in with_latin[km_url]
    assert "29 វិច្ឆិកា" not in with_khmer[km_url] and "២៩ វិច្ឆិកា" not in with_latin[km_url]
    assert "វិច្ឆិកា ២០២៦</a> (២)" in with_khmer["/?lang=km"]  # the archive's heading, count
    assert "វិច្ឆិកា 2026</a> (2)" in with_latin["/?lang=km"]
    assert "មតិ ១" in with_khmer["/?lang=km"] and "មតិ 1" in with_latin["/?lang=km"]
    archive = client.get("/2026/11/?lang=km").get_data(as_text=True)
    assert "<strong>វិច្ឆិកា 2026</strong>" in archive
    # Every digit a reader sees on the Khmer page is Khmer; English pages do not change.
    _, text = interface_text(with_khmer[km_url], [])
    assert not re.search(r"[0-9]", text), text
    assert with_khmer["/"] == with_latin["/"] and with_khmer[en_url] == with_latin[en_url]
