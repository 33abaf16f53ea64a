"""The rendered pages made into a copy that works on any static host.

- Links to the site (absolute ones naming its host, and the paths it renders) point
  into the copy: relative to the page, or under ``--base-url`` when one is given. A
  link to something the copy does not hold (log in, a reader's own data, a filtered
  listing's ``?lang=``) is unwrapped: its words stay, the link goes.
- Forms cannot work on a static host. The comment form becomes a paragraph that links
  to the post on every address of the live site ("main site" links, the only links
  out of the copy to the site); the search form becomes a link to the live site's
  search; any other form (the newsletter's sign-up) is left out.
- A post's share links share the copy's address of the post (``--base-url``), or
  are left out when the copy does not know its address.
- The sidebar (recent posts, counts, archives) changes with every new post. In the
  copy it is one file, ``sidebar.html``, that every page shows in an ``iframe``, so a
  new post does not rewrite every page of the copy.

The copy is done here with lxml on the HTML the site rendered, not in the templates,
which stay the site's own."""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from html import escape
from urllib.parse import quote, urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

SIDEBAR_PATH = "/sidebar.html"
# A summary of a post is rewritten once for every listing page that shows it, whatever
# the folder of the page: its relative links start with TO_ROOT, which ``placed`` turns
# into the "../" that lead from the page's folder to the copy's root. Plain ASCII, so
# libxml2 leaves it as it is in a link; a summary that holds it is not kept this way.
ANY_FOLDER = "/any-folder/"
TO_ROOT = "__copy_root__/"
_TO_ROOT_ALONE = re.compile(re.escape(TO_ROOT) + r"(?=[\"'#?\s,]|$)")
CPAGE = re.compile(r"^cpage=(\d+)$")
_STAYS, _GONE = object(), object()  # a link left as it is; a link the copy cannot keep


@dataclass
class CopySite:
    """Where the copy's links go."""

    origin_hosts: frozenset[str]  # host[:port] of the live site, lower case
    main_sites: list[str]  # every address of the live site, without a trailing slash
    base_url: str | None  # the copy's own address, or None for relative links
    targets: dict[str, str] = field(default_factory=dict)  # site path -> path in the copy
    # When a dict: every site path looked up, with what the copy held for it (a kept
    # summary stays right while each of its links would be made the same).
    asked: dict[str, str | None] | None = None
    # link as written -> what ``_link`` made of it
    _links: dict[str, tuple[str, str] | object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def is_origin(self, netloc: str) -> bool:
        return netloc.lower() in self.origin_hosts

    def resolve(self, url: str, here: str | None) -> str | None:
        """``url`` as the copy links it from the folder ``here`` (None: from the root);
        None when it is the site's but not in the copy. Other sites' links stay."""
        found = self._links.get(url)
        if found is None:
            found = self._links[url] = self._link(url)
        if found is _STAYS:
            return url
        if found is _GONE:
            return None
        path, suffix = found
        target = self.targets.get(path)
        if self.asked is not None:
            self.asked[path] = target
        if target is None:
            return None
        return self.href(target, here) + suffix

    def _link(self, url: str) -> tuple[str, str] | object:
        """What ``resolve`` makes of ``url`` wherever it is: the site path to look up
        and what follows it in the copy's link (a static file's query, the fragment),
        or _STAYS (another site's, or already relative) or _GONE (a query the copy
        has no page for). Kept per link: most links repeat on every page."""
        parts = urlsplit(url)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return _STAYS
        if parts.netloc:
            if not self.is_origin(parts.netloc):
                return _STAYS
        elif not parts.path.startswith("/"):
            return _STAYS  # "#comments" or a relative link: already inside the copy
        path, query = parts.path or "/", parts.query
        keep_query = ""
        if query and path.startswith("/static/"):
            keep_query = "?" + query  # the fingerprint: a static host ignores it
        elif query and (page := CPAGE.match(query)) and int(page.group(1)) > 1:
            path = f"{path}comment-page-{page.group(1)}/"
        elif query and CPAGE.match(query):
            pass
        elif query:
            return _GONE
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return path, keep_query + fragment

    def href(self, target: str, here: str | None) -> str:
        if self.base_url is not None:
            return self.base_url + target
        if here is None:
            return target
        if here is ANY_FOLDER:  # this very object, never a page's folder of that name
            return TO_ROOT + target[1:]
        # Up to the copy's root, then down: not always the shortest path, always right.
        return "../" * (here.count("/") - 1) + target[1:] or "./"

    @cached_property
    def origin_pattern(self) -> re.Pattern:
        hosts = "|".join(re.escape(h) for h in sorted(self.origin_hosts))
        return re.compile(rf"https?://(?:{hosts})(?![\w.:-])([^\s\"'<>\\]*)", re.IGNORECASE)

    def _text_link(self, match: re.Match, here: str | None) -> str:
        """One address ``origin_pattern`` found in a text, as the copy links it."""
        path = match.group(1) or "/"
        resolved = self.resolve(path, here)
        if resolved is None:  # not a page of the copy: the path, without its query
            bare = urlsplit(path).path or "/"
            if self.asked is not None:
                self.asked[bare] = self.targets.get(bare)
            resolved = self.href(self.targets.get(bare, bare), here)
        return resolved

    def rewrite_text(self, text: str, here: str | None) -> str:
        """Every absolute URL of the site in ``text`` (a feed, the sitemap, JSON-LD)."""
        if not self.origin_hosts:
            return text
        pattern = self.origin_pattern
        # What ``pattern.sub(self._text_link, text)`` makes, found faster: a match holds
        # "://" four or five characters in ("http", "https" in any case), so the pattern
        # is tried only there, not at every character (a case-blind scan is the slow part).
        parts: list[str] = []
        done = 0
        found = text.find("://")
        while found >= 0:
            for start in (found - 5, found - 4):
                if start >= done and (match := pattern.match(text, start)) is not None:
                    parts += (text[done:start], self._text_link(match, here))
                    done = match.end()
                    break
            found = text.find("://", max(found + 3, done))
        if not parts:
            return text
        parts.append(text[done:])
        return "".join(parts)


RSS_BUILD_DATE = re.compile(r"\n\s*<lastBuildDate>[^<]*</lastBuildDate>")
ATOM_UPDATED = re.compile(r"<updated>[^<]*</updated>")


def steady_feed(text: str) -> str:
    """An empty feed is dated "now" by the site; the copy gives it no date (RSS) or the
    epoch (Atom, which requires one), so the same content keeps the same bytes."""
    if "<item>" in text or "<entry>" in text:
        return text
    text = RSS_BUILD_DATE.sub("", text)
    return ATOM_UPDATED.sub("<updated>1970-01-01T00:00:00Z</updated>", text, count=1)


@dataclass
class PageFacts:
    """What a rendered post page says that the export needs: its related posts and
    its other comment pages."""

    related: list[str] = field(default_factory=list)  # paths, as the site linked them
    comment_pages: list[int] = field(default_factory=list)


_WITH_NAMES = etree.XPath("//*[@id or @class]")
# Every element _copy_links may change, in document order.
_WITH_LINKS = etree.XPath(
    "//*[@href or @src or @poster or @srcset] | //meta[@content] | //script[text()]"
)


class _Classes:
    """A page's elements by class and id, found in one walk (lxml's CSS selectors need a
    package we do not install, and an XPath per selector walks the page each time)."""

    def __init__(self, doc: HtmlElement) -> None:
        self.by_class: dict[str, list[HtmlElement]] = {}
        self.by_id: dict[str, HtmlElement] = {}
        # Only the elements that have an id or a class, found by libxml2 (in document
        # order, as a walk finds them): a Python walk over every element cost more.
        for element in _WITH_NAMES(doc):
            if (ident := element.get("id")) is not None:
                self.by_id.setdefault(ident, element)
            for name in (element.get("class") or "").split():
                self.by_class.setdefault(name, []).append(element)

    def __call__(self, tag: str, cls: str) -> list[HtmlElement]:
        return [e for e in self.by_class.get(cls, ()) if tag in ("*", e.tag)]


def _main_site_links(site: CopySite, path: str, parent: HtmlElement) -> None:
    for number, address in enumerate(site.main_sites):
        link = parent.makeelement("a", {"class": "main-site", "href": address + path})
        link.text = urlsplit(address).netloc or address
        if number:
            link.tail, parent[-1].tail = "", (parent[-1].tail or "") + ", "
        parent.append(link)


@cache
def _parsed(html: str) -> HtmlElement:
    return lxml.html.fragment_fromstring(html)


def _replace(old: HtmlElement, html: str) -> HtmlElement:
    new = deepcopy(_parsed(html))  # the same few blocks on every page: parsed once
    new.tail = old.tail
    old.getparent().replace(old, new)
    return new


def _page_facts(select: _Classes) -> PageFacts:
    facts = PageFacts()
    for section in select("section", "related-posts"):
        for link in section.iter("a"):
            facts.related.append(urlsplit(link.get("href", "")).path)
    for nav in select("nav", "comments-pagination"):
        for link in nav.iter("a"):
            if page := CPAGE.match(urlsplit(link.get("href", "")).query):
                facts.comment_pages.append(int(page.group(1)))
    return facts


def _copy_forms(doc: HtmlElement, select: _Classes, site: CopySite, post_path: str | None) -> None:
    if (respond := select.by_id.get("respond")) is not None:
        block = _replace(
            respond,
            '<div id="respond" class="comment-respond comment-elsewhere">'
            '<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>'
            "<p>This is a copy of the site: it cannot take comments. To comment, open this "
            "post on the main site: </p></div>",
        )
        _main_site_links(site, (post_path or "/") + "#respond", block[1])
        block[1][-1].tail = "."
    for form in select("form", "search-form"):
        block = _replace(
            form, '<p class="search-form search-elsewhere">Search this site on the main site: </p>'
        )
        _main_site_links(site, "/?s=", block)
    for form in list(doc.iter("form")):  # any other form (the newsletter's) cannot work
        form.drop_tree()
    for gone in [
        *select("p", "reply"),
        *select("nav", "language-filter"),
        *select("*", "site-account"),
        *select("*", "comment-editable"),
    ]:
        gone.drop_tree()


def _copy_share_links(select: _Classes, site: CopySite) -> None:
    """A post's share links share the copy's own address of the post, which only a copy
    with ``--base-url`` knows: without one they are left out."""
    for section in select("section", "share"):
        box = next(iter(section.iter("input")), None)
        address = box.get("value", "") if box is not None else ""
        mine = site.resolve(address, None) if site.base_url and address else None
        if not mine or "://" not in mine:
            section.drop_tree()
            continue
        box.set("value", mine)
        for link in section.iter("a"):
            link.set(
                "href",
                link.get("href", "").replace(quote(address, safe="/"), quote(mine, safe="/")),
            )


def _copy_links(doc: HtmlElement, site: CopySite, here: str | None) -> None:
    unwrap, drop = [], []
    for element in _WITH_LINKS(doc):
        if "main-site" in (element.get("class") or ""):
            continue
        for name in ("href", "src", "poster"):
            value = element.get(name)
            if value is None:
                continue
            resolved = site.resolve(value, here)
            if resolved is not None:
                element.set(name, resolved)
            elif element.tag == "a":
                unwrap.append(element)
            else:
                drop.append(element)
        if (srcset := element.get("srcset")) is not None:
            candidates = []
            for candidate in srcset.split(","):
                url, _, size = candidate.strip().partition(" ")
                candidates.append(" ".join(filter(None, (site.resolve(url, here) or url, size))))
            element.set("srcset", ", ".join(candidates))
        if element.tag == "meta" and "://" in (element.get("content") or ""):
            element.set("content", site.rewrite_text(element.get("content"), here))
        if element.tag == "script" and element.text:
            element.text = site.rewrite_text(element.text, here)
    for element in unwrap:
        if "nofollow" in (element.get("rel") or "").split():
            # The site's own links that lead nowhere for a copy (log in, a reader's own
            # data): gone with the " · " that joined them to the link before.
            previous = element.getprevious()
            if previous is not None and (previous.tail or "").strip() == "·":
                previous.tail = element.tail
                element.tail = None
            element.drop_tree()
        else:
            element.drop_tag()
    for element in drop:
        element.drop_tree()


def _frame_sidebar(select: _Classes) -> list[HtmlElement]:
    """The sidebar out of the page, an empty frame in its place (its ``src`` is set by
    the caller, after the page's links are made: the frame's link is already the
    copy's). Done first, so the sidebar's many links are not made for nothing."""
    return [
        _replace(
            aside,
            '<iframe class="sidebar sidebar-frame" title="Browse: categories, recent '
            'posts, archives" loading="lazy" style="border:0;width:100%;min-height:60rem">'
            "</iframe>",
        )
        for aside in select("aside", "sidebar")
    ]


_SIDEBAR = '<aside class="sidebar"'
_ASIDE = re.compile(r"<(/?)aside", re.IGNORECASE)


def _sidebar_emptied(html: str) -> str:
    """The page with its sidebar's contents left out before it is parsed: the sidebar
    becomes a frame (``_frame_sidebar``), so what it holds (a sixth of a post page, a
    third of its links; no related post, comment page or form the copy keeps) would be
    parsed and indexed for nothing. Its own tag stays, so the page around it parses as
    it did. Only when the page holds one aside, the sidebar's, closed once."""
    start = html.find(_SIDEBAR)
    if start < 0 or _ASIDE.findall(html) != ["", "/"]:
        return html
    inside, end = html.find(">", start) + 1, html.find("</aside", start)
    if not 0 < inside <= end:
        return html
    return html[:inside] + html[end:]


def _serialize(doc: HtmlElement) -> bytes:
    return lxml.html.tostring(doc, doctype="<!doctype html>", encoding="utf-8")


def rewrite_page(
    html: str, site: CopySite, here: str | None, *, post_path: str | None = None
) -> tuple[bytes, PageFacts]:
    """A rendered HTML page as the copy holds it, and what it says about itself.
    ``here`` is the page's folder (None for a page served at any path: the 404)."""
    doc = lxml.html.document_fromstring(_sidebar_emptied(html))
    select = _Classes(doc)
    facts = _page_facts(select)
    frames = _frame_sidebar(select)
    _copy_forms(doc, select, site, post_path)
    _copy_share_links(select, site)
    _copy_links(doc, site, here)
    for frame in frames:
        frame.set("src", site.href(SIDEBAR_PATH, here))
    return _serialize(doc), facts


@dataclass
class Fragment:
    """A post's summary rewritten for every listing page (``rewrite_fragment``)."""

    html: str  # its links start with TO_ROOT
    asked: dict[str, str | None]  # the site paths its links named -> their copy's paths

    def still_right(self, site: CopySite) -> bool:
        """Whether rewriting the same summary for ``site`` would give the same bytes."""
        return all(site.targets.get(path) == target for path, target in self.asked.items())


def rewrite_fragment(html: str, site: CopySite) -> Fragment | None:
    """A listing's summary of a post (one element) as every listing page of the copy
    shows it, its links made for any folder (``placed`` finishes them); None when it
    cannot be kept apart from its page."""
    if TO_ROOT in html:
        return None
    site = replace(site, asked={})
    doc = lxml.html.document_fromstring(f"<html><head></head><body>{html}</body></html>")
    body = doc.find("body")
    if body is None or len(body) != 1 or (body.text or "").strip() or (body[0].tail or "").strip():
        return None
    select = _Classes(doc)
    _copy_forms(doc, select, site, None)
    _copy_share_links(select, site)
    if select("aside", "sidebar"):
        return None
    _copy_links(doc, site, ANY_FOLDER)
    if len(body) != 1:
        return None
    # In the page's own encoding, as ``_serialize`` writes the page around it.
    serialized = lxml.html.tostring(body[0], encoding="utf-8", with_tail=False)
    return Fragment(serialized.decode("utf-8"), site.asked or {})


def placed(fragment: str, here: str) -> str:
    """A fragment from ``rewrite_fragment`` as the page in the folder ``here`` shows it."""
    up = "../" * (here.count("/") - 1)
    if not up:  # the site's root from the root itself: "./", as ``CopySite.href`` says
        fragment = _TO_ROOT_ALONE.sub("./", fragment)
    return fragment.replace(TO_ROOT, up)


def sidebar_page(front_page_html: str, site: CopySite) -> bytes:
    """``sidebar.html``: the front page's sidebar alone, its links opening in the page
    that shows it (``<base target="_top">``)."""
    front = lxml.html.document_fromstring(front_page_html)
    doc = lxml.html.document_fromstring(
        '<html><head><meta charset="utf-8"><base target="_top"></head>'
        '<body class="sidebar-frame"></body></html>'
    )
    doc.set("lang", front.get("lang", "en"))
    head, body = doc.find("head"), doc.find("body")
    title = head.makeelement("title", {})
    title.text = "Browse"
    head.append(title)
    for link in front.xpath("//head/link[@rel='stylesheet']"):
        head.append(link)
    for aside in _Classes(front)("aside", "sidebar"):
        body.append(aside)
    _copy_forms(doc, _Classes(doc), site, None)
    _copy_links(doc, site, "/")
    return _serialize(doc)


def moved_page(target: str) -> bytes:
    """An old address's page in the copy: what a 301 does, for a host that cannot."""
    href = escape(target, quote=True)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
        f'  <title>Moved</title>\n  <link rel="canonical" href="{href}">\n'
        f'  <meta http-equiv="refresh" content="0; url={href}">\n</head>\n<body>\n'
        f'  <p>This page has moved: <a href="{href}">{href}</a></p>\n</body>\n</html>\n'
    ).encode()
