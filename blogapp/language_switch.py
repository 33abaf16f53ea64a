"""The header's language switch: this page in the other language the interface speaks."""

from __future__ import annotations

from flask import request, url_for
from jinja2 import pass_context

from blogapp.interface_language import ENDONYMS, INTERFACE_LANGUAGES, current_language
from blogapp.permalinks import post_url

# Query parameters the switch carries over (the search words, the comment page): all are
# in the page cache's key, so the link is the same for every reader of one kept page.
SWITCH_KEEPS = ("s", "cpage")


@pass_context
def language_switch(context) -> dict | None:
    """The header's link to this page in the other interface language: a post's
    translation, else the same listing (or page) with ``?lang=``; None when there is none.
    Built only from the path and query parameters the page's cache key holds."""
    here = current_language()
    others = [code for code in INTERFACE_LANGUAGES if code != here]
    if not others:
        return None
    other = others[0]
    item = context.get("post") or context.get("page_obj")
    if item is not None and getattr(item, "language", None):
        versions = context.get("versions") or []
        version = next((v for v in versions if v.language == other), None)
        href = post_url(version) if version else url_for("posts.index", lang=other)
    elif request.endpoint and request.method in ("GET", "HEAD") and request.blueprint != "feeds":
        args = {k: v for k, v in request.args.items() if k in SWITCH_KEEPS}
        href = url_for(request.endpoint, **(request.view_args or {}), **args, lang=other)
    else:
        href = url_for("posts.index", lang=other)
    return {"href": href, "language": other, "name": ENDONYMS[other]}
