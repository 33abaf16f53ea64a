"""Pasted HTML (Word, Google Docs, LibreOffice, a web page) to clean Markdown.

The converter is markdownify; what is ours is the part no converter knows: the
shapes word processors put on the clipboard. Word writes lists as paragraphs
styled ``mso-list:l0 level2`` with a typed marker, and quotes as ``MsoQuote``
paragraphs; Google Docs wraps everything in ``<b id="docs-internal-guid-…">``
(not bold at all) and says bold and italic only in ``style``; footnotes from all
three are a link to a note that links back. Those are turned into plain HTML,
which our sanitizer (``blogapp.sanitize.clean_pasted_html``) cuts down to the
tags Markdown can say, and markdownify writes the Markdown."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import lxml.html
from lxml import etree

from blogapp.sanitize import clean_pasted_html

MAX_PASTE_CHARS = 2_000_000  # a long report pasted whole is fine; a runaway clipboard is not
_MSO_LIST = re.compile(r"mso-list:\s*l(\d+)\s+level(\d+)", re.IGNORECASE)
_ORDERED_MARKER = re.compile(r"^\s*(\(?[0-9]+|[ivxlcIVXLC]+|[a-zA-Z])[.)]")
_BOLD = re.compile(r"font-weight:\s*(bold|[6-9]00)", re.IGNORECASE)
_NOT_BOLD = re.compile(r"font-weight:\s*(normal|[1-4]00)", re.IGNORECASE)
_ITALIC = re.compile(r"font-style:\s*italic", re.IGNORECASE)
_DROPPED = ("head", "style", "script", "meta", "link", "title", "xml", "template", "noscript")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_NOTE_BLOCKS = ("p", "li", "div", "dd")


class PasteRejected(ValueError):
    """What was pasted cannot be read as HTML; ``str(error)`` says so plainly."""


def html_to_markdown(clipboard_html: str) -> str:
    """The Markdown for ``clipboard_html`` (the clipboard's ``text/html``)."""
    if len(clipboard_html) > MAX_PASTE_CHARS:
        raise PasteRejected("That is too much to paste at once; paste it in parts.")
    if not clipboard_html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(clipboard_html)
    except (etree.ParserError, ValueError) as error:
        raise PasteRejected(
            "The clipboard's formatting could not be read; "
            "paste as plain text instead (Ctrl+Shift+V)."
        ) from error
    body = root.find("body")
    if body is None:
        body = root
    _drop_noise(body)
    _unwrap_docs_wrapper(body)
    _styles_to_tags(body)
    _word_lists(body)
    _nest_docs_lists(body)
    _word_quotes(body)
    _unredirect_links(body)
    notes = _footnotes(body)
    _tables(body)
    _strip_styling(body)
    inner = "".join(etree.tostring(child, encoding="unicode", method="html") for child in body)
    inner = (body.text or "") + inner
    if notes:
        inner += "".join(f"<p>[^{n}]: {text}</p>" for n, text in notes)
    return _markdown(clean_pasted_html(inner))


def _markdown(clean_html: str) -> str:
    from markdownify import markdownify

    text = markdownify(
        clean_html,
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        escape_underscores=False,
        escape_misc=False,
    )
    text = text.replace("\xa0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # markdownify escapes the footnote markers' brackets when it sees them as text
    text = re.sub(r"\\\[\^(\d+)\\\]", r"[^\1]", text)
    return text.strip() + "\n"


def _drop_noise(body) -> None:
    for element in list(body.iter(_DROPPED)):
        element.drop_tree()
    for node in list(body.iter(etree.Comment, etree.ProcessingInstruction)):
        _remove_keeping_tail(node)
    # Word's list markers ("·", "o", "1.") and its footnote brackets live in spans
    # Word itself hides (mso-list:Ignore); the real markers are written by Markdown.
    for span in list(body.iter("span")):
        if "mso-list:ignore" in (span.get("style") or "").replace(" ", "").lower():
            paragraph = next((a for a in span.iterancestors() if a.tag == "p"), None)
            if paragraph is not None and paragraph.get("data-marker") is None:
                paragraph.set("data-marker", "".join(span.itertext()).strip())
            _remove_keeping_tail(span)


def _remove_keeping_tail(node) -> None:
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail or ""
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(node)


def _unwrap_docs_wrapper(body) -> None:
    """Docs' ``<b style="font-weight:normal" id="docs-internal-guid-…">`` holds the
    whole paste and means nothing; any bold tag that says "normal" is not bold."""
    for tag in list(body.iter("b", "strong")):
        if (tag.get("id") or "").startswith("docs-internal-guid") or _NOT_BOLD.search(
            tag.get("style") or ""
        ):
            tag.drop_tag()


def _styles_to_tags(body) -> None:
    """Bold and italic said only in ``style`` (Docs, LibreOffice) become tags."""
    for span in list(body.iter("span")):
        style = span.get("style") or ""
        in_heading = any(a.tag in _HEADINGS for a in span.iterancestors())
        wrappers = []
        if _BOLD.search(style) and not in_heading:
            wrappers.append("strong")
        if _ITALIC.search(style):
            wrappers.append("em")
        for name in wrappers:
            inner = etree.Element(name)
            inner.text = span.text
            span.text = None
            for child in list(span):
                inner.append(child)
            span.append(inner)


def _word_lists(body) -> None:
    """Word's list paragraphs (``mso-list:lN levelM``) become nested lists."""
    paragraphs = [p for p in body.iter("p") if _MSO_LIST.search(p.get("style") or "")]
    stack: list[tuple[int, etree._Element]] = []  # (level, list element)
    previous = None
    for p in paragraphs:
        level = int(_MSO_LIST.search(p.get("style")).group(2))
        ordered = _word_marker_is_ordered(p)
        contiguous = previous is not None and p.getprevious() is previous
        if not contiguous:
            stack = []
        while stack and stack[-1][0] > level:
            stack.pop()
        item = etree.Element("li")
        item.text = p.text
        for child in list(p):
            item.append(child)
        if not stack or stack[-1][0] < level:
            new_list = etree.Element("ol" if ordered else "ul")
            if stack:
                stack[-1][1][-1].append(new_list)
            else:
                p.addprevious(new_list)
            stack.append((level, new_list))
        stack[-1][1].append(item)
        previous = p
        tail = p.tail
        p.getparent().remove(p)
        # keep the chain: the next paragraph's previous sibling is now the root list
        previous = stack[0][1]
        previous.tail = tail


def _word_marker_is_ordered(p) -> bool:
    marker = p.get("data-marker")
    if marker is None:
        marker = (p.text or "").strip()
    return bool(_ORDERED_MARKER.match(marker))


def _nest_docs_lists(body) -> None:
    """Docs puts a nested ``<ul>`` straight inside its parent ``<ul>``, after the item
    it belongs to: move it into that item, where HTML (and Markdown) want it."""
    for inner in list(body.iter("ul", "ol")):
        parent = inner.getparent()
        if parent is not None and parent.tag in ("ul", "ol"):
            before = inner.getprevious()
            if before is not None and before.tag == "li":
                before.append(inner)
    for p in list(body.iter("p")):  # Docs' items hold one <p role="presentation">
        parent = p.getparent()
        if parent is not None and parent.tag == "li" and len(parent.findall("p")) == 1:
            p.drop_tag()


def _word_quotes(body) -> None:
    for p in list(body.iter("p")):
        if (p.get("class") or "").lower() in ("msoquote", "msointensequote"):
            previous = p.getprevious()
            if (
                previous is not None
                and previous.tag == "blockquote"
                and not ((previous.tail or "").strip())
            ):
                previous.append(p)
            else:
                quote = etree.Element("blockquote")
                p.addprevious(quote)
                quote.append(p)


def _unredirect_links(body) -> None:
    """A Docs export links through ``google.com/url?q=…``: keep the real address."""
    for a in body.iter("a"):
        href = a.get("href") or ""
        parts = urlsplit(href)
        if parts.netloc.endswith("google.com") and parts.path == "/url":
            target = parse_qs(parts.query).get("q", [""])[0]
            if target.startswith(("https://", "http://")):
                a.set("href", target)


def _footnotes(body) -> list[tuple[int, str]]:
    """Footnotes, whoever wrote them: a link to ``#note`` whose target is a link back.
    Each reference becomes ``[^n]``; each note's text is returned, in order, and its
    block removed from the body."""
    anchors: dict[str, etree._Element] = {}
    for a in body.iter("a"):
        for key in (a.get("name"), a.get("id")):
            if key:
                anchors.setdefault(key, a)
    # mammoth (a .docx) puts the note's id on its <li>, with a link back inside it
    holders = {e.get("id"): e for e in body.iter() if isinstance(e.tag, str) and e.get("id")}
    notes: list[tuple[int, str]] = []
    done: set[etree._Element] = set()  # references and notes already taken
    for a in list(body.iter("a")):
        href = a.get("href") or ""
        own = a.get("name") or a.get("id")
        if not href.startswith("#") or not own or a in done:
            continue
        back = anchors.get(href[1:])
        if back is None and href[1:] in holders:
            back = next(
                (b for b in holders[href[1:]].iter("a") if (b.get("href") or "") == f"#{own}"), None
            )
        if back is None or back is a or (back.get("href") or "") != f"#{own}":
            continue
        done.update((a, back))
        n = len(notes) + 1
        block = next((e for e in back.iterancestors() if e.tag in _NOTE_BLOCKS), None)
        _remove_keeping_tail(back)
        if block is not None:
            text_html = (block.text or "").lstrip("\t") + "".join(
                etree.tostring(c, encoding="unicode", method="html") for c in block
            )
            container = block.getparent()
            block.drop_tree()
            _drop_empty_containers(container, body)
        else:
            text_html = ""
        notes.append((n, text_html.strip()))
        marker = etree.Element("span")
        marker.text = f"[^{n}]"
        target = a
        parent = a.getparent()
        if (
            parent is not None
            and parent.tag == "sup"
            and len(parent) == 1
            and not ((parent.text or "").strip())
        ):
            target = parent
        marker.tail = target.tail
        target.getparent().replace(target, marker)
    if notes:
        _drop_trailing_rules(body)
    return notes


def _drop_empty_containers(element, body) -> None:
    while (
        element is not None
        and element is not body
        and element.tag in ("div", "section", "li", "ol", "ul")
    ):
        if "".join(element.itertext()).strip():
            return
        parent = element.getparent()
        element.drop_tree()
        element = parent


def _drop_trailing_rules(body) -> None:
    """The rule word processors draw above their notes, now that the notes moved."""
    for element in reversed(list(body.iter("hr", "br", "div"))):
        if "".join(element.itertext()).strip():
            continue
        following = element.itersiblings()
        if (
            all(
                not "".join(s.itertext()).strip() and s.tag in ("hr", "br", "div")
                for s in following
            )
            and not (element.tail or "").strip()
        ):
            element.drop_tree()


_KEPT_ATTRIBUTES = ("href", "src", "alt", "title")


def _strip_styling(body) -> None:
    """Spans, fonts, Office's own tags and every attribute but the few Markdown keeps
    go before the sanitizer: a long Word paste shrinks to a fraction, and bleach's
    html5lib (the slow part) reads only that."""
    for element in list(body.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.tag in ("span", "font") or ":" in element.tag:
            element.drop_tag()
            continue
        for name in list(element.attrib):
            if name not in _KEPT_ATTRIBUTES:
                del element.attrib[name]


def _tables(body) -> None:
    """Cells hold one line each in Markdown; a table with no header row uses its
    first row as one."""
    for cell in list(body.iter("td", "th")):
        for p in cell.findall(".//p"):
            p.tail = " " + (p.tail or "")
            p.drop_tag()
    for table in list(body.iter("table")):
        if table.find(".//th") is not None:
            continue
        first = table.find(".//tr")
        if first is not None:
            for cell in first.findall("td"):
                cell.tag = "th"
