"""A port of WordPress's ``wpautop()`` (wp-includes/formatting.php), so imported posts
are shown the way WordPress showed them: blank lines become paragraphs and single
newlines ``<br />``, except inside ``<pre>``, lists, tables and other block-level HTML.

Kept step for step with the PHP so differences can be traced back to it."""

from __future__ import annotations

import re

ALL_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section"
    r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)

# wp_html_split(): tags, comments and CDATA sections, each one piece.
_HTML_SPLIT = re.compile(r"(<(?:!--.*?(?:-->|$)|!\[CDATA\[.*?(?:\]\]>|$)|[^>]*>?))", re.S)

_BLOCK_OPEN = re.compile(r"(<" + ALL_BLOCKS + r"[\s/>])")
_BLOCK_CLOSE = re.compile(r"(</" + ALL_BLOCKS + r">)")
_HR = re.compile(r"(<hr\s*?/?>)")
_P_AROUND_BLOCK = re.compile(r"<p>\s*(</?" + ALL_BLOCKS + r"[^>]*>)\s*</p>")
_P_BEFORE_BLOCK = re.compile(r"<p>\s*(</?" + ALL_BLOCKS + r"[^>]*>)")
_BLOCK_BEFORE_P_CLOSE = re.compile(r"(</?" + ALL_BLOCKS + r"[^>]*>)\s*</p>")
_BR_AFTER_BLOCK = re.compile(r"(</?" + ALL_BLOCKS + r"[^>]*>)\s*<br />")
_BR_BEFORE_BLOCK = re.compile(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)")
_PRESERVE = re.compile(r"<(script|style|svg|math).*?</\1>", re.S)


def _replace_in_html_tags(text: str, old: str, new: str) -> str:
    """wp_replace_in_html_tags(): replace only inside tags and comments, not text."""
    parts = _HTML_SPLIT.split(text)
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace(old, new)
    return "".join(parts)


def _extract_pre(text: str) -> tuple[str, dict[str, str]]:
    """<pre> blocks are set aside whole and put back at the end, untouched."""
    if "<pre" not in text:
        return text, {}
    pieces = text.split("</pre>")
    last = pieces.pop()
    out, saved = [], {}
    for i, piece in enumerate(pieces):
        start = piece.find("<pre")
        if start == -1:  # malformed HTML: leave it as it is
            out.append(piece)
            continue
        name = f"<pre wp-pre-tag-{i}></pre>"
        saved[name] = piece[start:] + "</pre>"
        out.append(piece[:start] + name)
    out.append(last)
    return "".join(out), saved


def wpautop(text: str, br: bool = True) -> str:
    if not text.strip():
        return ""
    text = text + "\n"
    text, pre_tags = _extract_pre(text)

    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _BLOCK_OPEN.sub("\n\n\\1", text)
    text = _BLOCK_CLOSE.sub("\\1\n\n", text)
    text = _HR.sub("\\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _replace_in_html_tags(text, "\n", " <!-- wpnl --> ")

    if "<option" in text:
        text = re.sub(r"\s*<option", "<option", text)
        text = re.sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = re.sub(r"(<object[^>]*>)\s*", "\\1", text)
        text = re.sub(r"\s*</object>", "</object>", text)
        text = re.sub(r"\s*(</?(?:param|embed)[^>]*>)\s*", "\\1", text)
    if "<source" in text or "<track" in text:
        text = re.sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", "\\1", text)
        text = re.sub(r"\s*([<\[]/(?:audio|video)[>\]])", "\\1", text)
        text = re.sub(r"\s*(<(?:source|track)[^>]*>)\s*", "\\1", text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", "\\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)

    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in paragraphs)

    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", "<p>\\1</p></\\2>", text)
    text = _P_AROUND_BLOCK.sub("\\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", "\\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", "<blockquote\\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _P_BEFORE_BLOCK.sub("\\1", text)
    text = _BLOCK_BEFORE_P_CLOSE.sub("\\1", text)

    if br:
        text = _PRESERVE.sub(lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"), text)
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
        text = text.replace("<WPPreserveNewline />", "\n")

    text = _BR_AFTER_BLOCK.sub("\\1", text)
    text = _BR_BEFORE_BLOCK.sub("\\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)

    for name, block in pre_tags.items():
        text = text.replace(name, block)
    if "<!-- wpnl --> " in text:
        text = text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")
    return text
