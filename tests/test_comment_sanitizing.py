"""A corpus of hostile comments, sent through the real form with each payload as the
name, the website and the text at once. Whatever a reader sends, the stored HTML and
the pages served to readers and to moderators (whose browsers hold admin sessions)
carry nothing a browser would run."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import update

from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus
from tests.factories import make_post, make_user
from tests.helpers import BROWSER_POST, open_form, url_of
from tests.helpers import stored_comments as stored

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="javascript:123">port-looking</a>',
    '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
    '<a href="&#106;avascript:alert(1)">entity j</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;script:alert(1)">hex entities</a>',
    '<a href="java&#x09;script:alert(1)">tab entity</a>',
    '<a href=" javascript:alert(1)">leading space</a>',
    '<a href="jav&#x0A;ascript:alert(1)">newline entity</a>',
    '<a href="java\tscript:alert(1)">raw tab</a>',
    '<a href="&Tab;javascript:alert(1)">named tab</a>',
    '<a href="javascript&colon;alert(1)">named colon</a>',
    '<a href="javascript&#58;alert(1)">numeric colon</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">padded entities</a>',
    '<a href="java\x00script:alert(1)">nul byte</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">DATA</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="//evil.example" onclick="alert(1)">protocol-relative</a>',
    '<a href="https://ok.example" onmouseover=alert(1)>hover</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">styled</div>',
    "<style>@import 'http://evil.example/x.css';</style>",
    "<<script>alert(1)//<</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<b><i><a href="javascript:alert(1)">unclosed',
    "</textarea><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<a href="javascript:alert(1)"<a href="x">broken',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate attributeName=href values=javascript:alert(1) /></svg>",
    '<math href="javascript:alert(1)">CLICK</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<table><td background="javascript:alert(1)">',
    '<a href="\u202ejavascript:alert(1)">bidi in href</a>',
    "moc.elpmaxe\u202e//:sptth",
    "safe\u2066isolate\u2069 text \u202d forced LTR \u202c",
    "https://ok.example/?q=<script>alert(1)</script>",
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "<a href='https://ok.example' target=_blank>new tab</a>",
    "<p onclick=alert(1)>nested <b onmouseover=alert(1)><i>deep</b></i></p>",
]

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "data",
    "poster",
    "srcset",
    "cite",
    "values",
    "content",
}
FORBIDDEN_TAGS = {
    "script",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "style",
    "base",
    "meta",
    "link",
    "form",
    "input",
    "button",
    "textarea",
}
ALLOWED_FORM_TAGS = {"form", "input", "button", "textarea", "link", "meta"}  # the site's own
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
DANGEROUS_SCHEME = re.compile(r"^(javascript|data|vbscript):", re.I)


class ExecutableFinder(HTMLParser):
    """Collects what a browser could run: dangerous elements, event handlers,
    script-bearing URLs (read as a browser reads them)."""

    def __init__(self, allowed: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS - self.allowed:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and value:
                # The parser has decoded entities once, as a browser does; a URL
                # parser then ignores whitespace and control characters in a scheme.
                compact = re.sub(r"[\s\x00-\x1f]+", "", value)
                if DANGEROUS_SCHEME.match(compact):
                    self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
# The post's share links: the site's own icons (SVG) and script, no reader's text.
SHARE_LINKS = re.compile(r'<section class="share".*?</section>', re.S)


def executable_parts(page: str, allowed: set[str] = frozenset()) -> list[str]:
    # The site's own JSON-LD (a data block, never run) is set aside, after checking
    # that no reader's text found its way into it.
    for block in JSON_LD.findall(page):
        assert "alert(" not in block and "<" not in block, block
    page = JSON_LD.sub("", page)
    for block in SHARE_LINKS.findall(page):
        assert "alert(" not in block, block
    page = SHARE_LINKS.sub("", page)
    finder = ExecutableFinder(set(allowed))
    finder.feed(page)
    finder.close()
    found = finder.found
    if re.search(r"<\s*script", page, re.I):
        found.append("<script")
    if BIDI.search(page):
        found.append("bidi override")
    return found


@pytest.fixture
def app_config():
    return {"COMMENT_RATE_LIMIT": "1000 per minute", "COMMENTS_PER_PAGE": 500}


def test_the_corpus_is_big_enough():
    assert len(HOSTILE) >= 50
    assert len(set(HOSTILE)) == len(HOSTILE)


def test_hostile_names_websites_and_texts_are_stored_and_served_inert(app, client, login_as, ctx):
    post = make_post("Open thread")
    for n, payload in enumerate(HOSTILE):
        form = open_form(client, post)
        response = client.post(
            f"/comments/post/{post.id}",
            headers=BROWSER_POST,
            data={
                **form,
                "author_name": payload,
                "author_url": payload,
                "body": payload,
                "author_email": f"reader{n}@example.org",
            },
        )
        # A NUL byte is refused before any view runs (blogapp.security): 400, nothing stored.
        expected = 400 if "\x00" in payload else 302
        assert response.status_code == expected, (payload, response.get_data(as_text=True)[:500])

    comments = stored()
    accepted = [p for p in HOSTILE if "\x00" not in p]
    assert len(comments) == len(accepted)
    for comment in comments:
        assert executable_parts(comment.body_html) == [], comment.body
        assert not BIDI.search(comment.author_name + comment.body_html + comment.author_url)
        assert comment.author_url == "" or re.match(r"^https?://[^\s<>\"']+$", comment.author_url)
    # The javascript: link that bleach alone would keep is a plain text, not a link.
    port = next(c for c in comments if "port-looking" in c.body)
    assert "href" not in port.body_html

    # Its author sees their latest held comments, with the notice.
    own_view = client.get(url_of(post)).get_data(as_text=True)
    assert own_view.count("Your comment is awaiting moderation.") == 20
    assert executable_parts(own_view, ALLOWED_FORM_TAGS) == []

    # Moderators see them all, page by page, and on the edit and reply screens.
    login_as(make_user(role="editor"))
    for status in ("pending", "all"):
        page_number = 1
        while True:
            listing = client.get(f"/admin/comments?status={status}&page={page_number}")
            assert listing.status_code == 200
            text = listing.get_data(as_text=True)
            assert executable_parts(text, ALLOWED_FORM_TAGS) == [], (status, page_number)
            if 'rel="next"' not in text:
                break
            page_number += 1
        assert page_number == 4
    for comment in comments[:10]:
        for screen in ("edit", "reply"):
            text = client.get(f"/admin/comments/{comment.id}/{screen}").get_data(as_text=True)
            assert executable_parts(text, ALLOWED_FORM_TAGS) == [], (screen, comment.body)
    log = client.get("/admin/comments/log").get_data(as_text=True)
    assert executable_parts(log, ALLOWED_FORM_TAGS) == []

    # Once approved, every reader gets them all.
    db.session.execute(update(Comment).values(status=CommentStatus.APPROVED))
    db.session.commit()
    public = app.test_client().get(url_of(post)).get_data(as_text=True)
    assert public.count('class="comment depth-1"') == len(accepted)
    assert executable_parts(public, ALLOWED_FORM_TAGS) == []


def test_the_finder_itself_catches_what_it_looks_for():
    assert executable_parts('<a href="java&#x09;script:x">') != []
    assert executable_parts('<a href="javascript&colon;x">') != []
    assert executable_parts('<a href="javascript&amp;colon;x">') == []  # a relative path
    assert executable_parts("<img src=x onerror=alert(1)>") != []
    assert executable_parts("<svg></svg>") != []
    assert executable_parts("text \u202e here") != []
    assert executable_parts('<a href="https://ok.example" rel="nofollow">ok</a>') == []


PLAIN_PIECES = [
    "words ",
    "Phnom Penh ",
    "ខ្មែរ ",
    "é ",
    "3.5 ",
    "e.g. ",
    "a.b ",
    "end.",
    "'",
    '"',
    "(",
    ")",
    "@",
    "#",
    "-",
    "/",
    ":",
    ";",
    "!",
    "?",
    "\n",
    "\n\n",
    "\t",
    "  ",
    "example.com",
    " www ",
    "http",
    "://",
    "mailto:",
    "x.org",
    "…",
    "🙂",
]


def test_comments_of_plain_words_skip_bleach_and_come_out_as_bleach_would_give_them():
    from blogapp.sanitize import (
        _comment_cleaner_pair,
        _no_pass_changes_anything,
        _paragraphs,
        clean_comment,
    )

    rng = random.Random(20)
    escape, final = _comment_cleaner_pair()
    skipped = 0
    for _ in range(4000):
        text = "".join(rng.choice(PLAIN_PIECES) for _ in range(rng.randint(1, 15)))
        skipped += _no_pass_changes_anything(text)
        assert clean_comment(text) == final.clean(_paragraphs(escape.clean(text))).strip(), text
    assert skipped > 500  # the fast path is taken, and not for everything
    assert skipped < 3900
    assert not _no_pass_changes_anything("see example.com")
    assert not _no_pass_changes_anything("a &amp; b")


def test_the_linkifier_is_loaded_only_for_a_text_that_may_hold_an_address():
    """Every address bleach's linkifier finds has a word character, a dot and a word
    character in a row ("x.org", "ſ.com" read as ".s"); a comment without that is
    cleaned without loading bleach at all."""
    from blogapp.sanitize import _MAYBE_AN_ADDRESS, _linkifier_url

    rng = random.Random(21)
    pieces = [*PLAIN_PIECES, "K", "ſ", "\u212a", ".", "-", "_", "9", "x", "ORG", "com", "ⅰ"]
    found = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        if _linkifier_url().search(text):
            found += 1
            assert _MAYBE_AN_ADDRESS.search(text), text
    assert found > 1000
    assert _MAYBE_AN_ADDRESS.search("see a.\u212aH") and _linkifier_url().search("see a.\u212aH")
    assert not _MAYBE_AN_ADDRESS.search("Well argued. I agree.")
