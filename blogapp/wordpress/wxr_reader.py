"""Reading a WordPress export (WXR 1.0, 1.1 or 1.2) as a stream of small records.

The file is parsed with lxml's ``iterparse`` hardened for untrusted input: no DTD
(a file that declares one is refused by our own read of the prolog, before lxml sees
it, so every libxml2 release gives the same answer; that stops entity-expansion bombs
and external entities), no network, no huge-tree mode. Each ``<item>`` is turned into a
record and then dropped from the tree, so memory stays flat however big the file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

WP_NAMESPACES = {
    "http://wordpress.org/export/1.0/": "1.0",
    "http://wordpress.org/export/1.1/": "1.1",
    "http://wordpress.org/export/1.2/": "1.2",
}
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"


class WxrError(Exception):
    """A problem with the file or its data, said in one line (with the XML line if known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        message = " ".join(message.split())  # one line, whatever the parser said
        message = message if len(message) <= 300 else message[:299] + "…"
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class WxrSite:
    version: str
    base_urls: list[str]
    line: int | None = None


@dataclass
class WxrAuthor:
    wp_id: int | None
    login: str
    email: str
    display_name: str
    line: int | None = None


@dataclass
class WxrTerm:
    taxonomy: str  # "category" or "post_tag"
    wp_id: int | None
    slug: str  # as in the file: percent-encoded when not ASCII
    name: str
    parent_slug: str = ""
    description: str = ""
    line: int | None = None


@dataclass
class WxrComment:
    wp_id: int | None
    author: str = ""
    email: str = ""
    url: str = ""
    ip: str = ""
    date: str = ""
    date_gmt: str = ""
    content: str = ""
    approved: str = "1"
    type: str = ""
    parent: int = 0
    user_id: int = 0


@dataclass
class WxrItem:
    line: int | None
    title: str = ""
    link: str = ""
    guid: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    wp_id: int | None = None
    post_date: str = ""
    post_date_gmt: str = ""
    modified: str = ""
    modified_gmt: str = ""
    comment_status: str = "open"
    post_name: str = ""
    status: str = ""
    post_parent: int = 0
    menu_order: int = 0
    post_type: str = "post"
    password: str = ""
    is_sticky: bool = False
    attachment_url: str = ""
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # (domain, nicename, name)
    meta: dict[str, str] = field(default_factory=dict)
    comments: list[WxrComment] = field(default_factory=list)


class CountingReader:
    """A binary file that reports how many bytes have been read (for a progress bar)."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None] | None = None) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.progress is not None and data:
            self.progress(len(data))
        return data


DTD_REFUSED = (
    "refused: the file declares a DTD (<!DOCTYPE …>). WordPress exports have none, "
    "and DTD entities are how XML bombs and external-entity attacks work"
)
PROLOG_MAX_BYTES = 64 * 1024  # past this with no element yet, the parser has the last word
_BOMS = (("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"))


class PrologChecked:
    """The stream, read through its prolog (XML declaration, comments, processing
    instructions) up to the first element; a ``<!DOCTYPE`` there raises WxrError.
    The bytes read so far are given back first, so the parser sees the whole file."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.head = b""
        while (verdict := _prolog_verdict(self.head)) is None:
            chunk = raw.read(4096)
            if not chunk or len(self.head) >= PROLOG_MAX_BYTES:
                break
            self.head += chunk
        if verdict is not None and verdict > 0:
            raise WxrError(DTD_REFUSED, verdict)

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.raw.read(size)
        if size < 0:
            data, self.head = self.head + self.raw.read(), b""
        else:
            data, self.head = self.head[:size], self.head[size:]
        return data


def _prolog_verdict(head: bytes) -> int | None:
    """0 when the prolog ends in an element with no DTD, the line of a ``<!DOCTYPE``
    (or any other ``<!`` declaration), or None when more bytes are needed to say."""
    encoding = next((name for name, bom in _BOMS if head.startswith(bom)), "latin-1")
    if encoding.startswith("utf-16"):
        text = head[2 : len(head) & ~1].decode(encoding, errors="replace")
    else:  # ASCII markup reads the same in latin-1 whatever the multibyte text after it
        text = head.removeprefix(_BOMS[0][1]).decode("latin-1")
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        rest = text[at:]
        if len(rest) < 4:
            return None
        if rest.startswith("<?"):
            closing = "?>"
        elif rest.startswith("<!--"):
            closing = "-->"
        elif rest.startswith("<!"):
            return text.count("\n", 0, at) + 1
        else:
            return 0  # an element (or text the parser will refuse in its own words)
        end = text.find(closing, at + 2)
        if end < 0:
            return None
        at = end + len(closing)


def _split(tag: str) -> tuple[str, str]:
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _text(elem) -> str:
    return elem.text or ""


def _children(elem) -> Iterator[tuple[str, str, object]]:
    for child in elem:
        if isinstance(child.tag, str):
            ns, local = _split(child.tag)
            yield ns, local, child


def _author(elem, wp: str) -> WxrAuthor:
    values = {local: _text(c).strip() for ns, local, c in _children(elem) if ns == wp}
    return WxrAuthor(
        wp_id=_int(values.get("author_id")),
        login=values.get("author_login", ""),
        email=values.get("author_email", ""),
        display_name=values.get("author_display_name", ""),
        line=elem.sourceline,
    )


def _term(elem, wp: str, taxonomy: str) -> WxrTerm:
    values = {local: _text(c).strip() for ns, local, c in _children(elem) if ns == wp}
    if taxonomy == "category":
        return WxrTerm(
            "category",
            _int(values.get("term_id")),
            values.get("category_nicename", ""),
            values.get("cat_name", ""),
            values.get("category_parent", ""),
            values.get("category_description", ""),
            elem.sourceline,
        )
    return WxrTerm(
        "post_tag",
        _int(values.get("term_id")),
        values.get("tag_slug", ""),
        values.get("tag_name", ""),
        "",
        values.get("tag_description", ""),
        elem.sourceline,
    )


def _comment(elem, wp: str) -> WxrComment:
    values = {local: _text(c) for ns, local, c in _children(elem) if ns == wp}
    return WxrComment(
        wp_id=_int(values.get("comment_id")),
        author=values.get("comment_author", "").strip(),
        email=values.get("comment_author_email", "").strip(),
        url=values.get("comment_author_url", "").strip(),
        ip=values.get("comment_author_IP", "").strip(),
        date=values.get("comment_date", "").strip(),
        date_gmt=values.get("comment_date_gmt", "").strip(),
        content=values.get("comment_content", ""),
        approved=values.get("comment_approved", "1").strip(),
        type=values.get("comment_type", "").strip(),
        parent=_int(values.get("comment_parent")) or 0,
        user_id=_int(values.get("comment_user_id")) or 0,
    )


_ITEM_FIELDS = {
    "post_date": "post_date",
    "post_date_gmt": "post_date_gmt",
    "post_modified": "modified",
    "post_modified_gmt": "modified_gmt",
    "comment_status": "comment_status",
    "post_name": "post_name",
    "status": "status",
    "post_type": "post_type",
    "post_password": "password",
    "attachment_url": "attachment_url",
}


def _item(elem, wp: str) -> WxrItem:
    item = WxrItem(line=elem.sourceline)
    for ns, local, child in _children(elem):
        if ns == "":
            if local == "title":
                item.title = _text(child).strip()
            elif local == "link":
                item.link = _text(child).strip()
            elif local == "guid":
                item.guid = _text(child).strip()
            elif local == "category":
                item.terms.append(
                    (child.get("domain", ""), child.get("nicename", ""), _text(child).strip())
                )
        elif ns == CONTENT_NS and local == "encoded":
            item.content = _text(child)
        elif ns.endswith("/excerpt/") and local == "encoded":
            item.excerpt = _text(child)
        elif ns == DC_NS and local == "creator":
            item.creator = _text(child).strip()
        elif ns == wp:
            if local in _ITEM_FIELDS:
                setattr(item, _ITEM_FIELDS[local], _text(child).strip())
            elif local == "post_id":
                item.wp_id = _int(_text(child))
            elif local == "post_parent":
                item.post_parent = _int(_text(child)) or 0
            elif local == "menu_order":
                item.menu_order = _int(_text(child)) or 0
            elif local == "is_sticky":
                item.is_sticky = _text(child).strip() == "1"
            elif local == "postmeta":
                meta = {k: _text(c) for n, k, c in _children(child) if n == wp}
                if meta.get("meta_key"):
                    item.meta[meta["meta_key"]] = meta.get("meta_value", "")
            elif local == "comment":
                item.comments.append(_comment(child, wp))
    return item


def _check_root(elem) -> str:
    """The WordPress namespace of a WXR file's root, or a WxrError saying what it is instead."""
    docinfo = elem.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # past PrologChecked's reach
        raise WxrError(DTD_REFUSED, elem.sourceline)
    ns, local = _split(elem.tag)
    wp = next((uri for uri in (elem.nsmap or {}).values() if uri in WP_NAMESPACES), None)
    if local != "rss" or ns:
        raise WxrError(
            f"not a WordPress export (WXR): the document is <{local}>, not an RSS file "
            "with the WordPress export namespace",
            elem.sourceline,
        )
    if wp is None:
        raise WxrError(
            "not a WordPress export (WXR): an RSS file without the WordPress export "
            "namespace (http://wordpress.org/export/1.2/)",
            elem.sourceline,
        )
    return wp


def read_wxr(stream) -> Iterator[WxrSite | WxrAuthor | WxrTerm | WxrItem]:
    """Yield the site header, then authors, terms and items, in file order."""
    parser = etree.iterparse(
        PrologChecked(stream),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    wp = ""
    depth = 0
    base_urls: list[str] = []
    site_sent = False
    try:
        for event, elem in parser:
            if event == "start":
                depth += 1
                if depth == 1:
                    wp = _check_root(elem)
                continue
            level, depth = depth, depth - 1
            if level != 3:
                continue
            ns, local = _split(elem.tag)
            if ns == wp and local in ("base_site_url", "base_blog_url"):
                base_urls.append(_text(elem).strip())
            elif not site_sent and (local == "item" or (ns == wp and local != "wxr_version")):
                site_sent = True
                yield WxrSite(WP_NAMESPACES[wp], base_urls, elem.sourceline)
            if local == "item" and not ns:
                yield _item(elem, wp)
            elif ns == wp and local == "author":
                yield _author(elem, wp)
            elif ns == wp and local == "category":
                yield _term(elem, wp, "category")
            elif ns == wp and local == "tag":
                yield _term(elem, wp, "post_tag")
            # Drop what has been read so the tree never holds more than one item.
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise WxrError(
            f"the file is not well-formed XML: {error.msg.split(', line ')[0]}", error.lineno
        ) from None
    if not wp:
        raise WxrError("the file is empty")
    if not site_sent:
        yield WxrSite(WP_NAMESPACES[wp], base_urls)
