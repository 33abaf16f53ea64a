"""What a WordPress export says about translations, for ``blogapp.wordpress``.

Read from each ``<item>`` of the WXR file:

- **Polylang** exports its languages and links as taxonomies: every post carries
  ``<category domain="language" nicename="km">`` (its language) and
  ``<category domain="post_translations" nicename="pll_…">`` (its translation
  group; the group term's serialized array, ``a:2:{s:2:"en";i:12;s:2:"km";i:15;}``,
  names the same posts again and is not needed).
- **WPML** keeps its links in its own table, which WordPress's exporter never
  writes; with the "WPML Export and Import" add-on, each post carries the post meta
  ``_wpml_import_language_code`` and ``_wpml_import_translation_group``, read here.
  A plain WPML export links nothing (languages are then guessed from the text).

Posts of one group are linked once the import has stored them; a group that names
one language twice keeps the first post of that language and says so."""

from __future__ import annotations

from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Post
from blogapp.translations.services import LinkRefused, link

POLYLANG_LANGUAGE = "language"
POLYLANG_GROUP = "post_translations"
WPML_LANGUAGE = "_wpml_import_language_code"
WPML_GROUP = "_wpml_import_translation_group"


def item_language(terms, meta: dict[str, str]) -> str:
    """The language an export gives a post (Polylang's term, WPML's meta), or ""."""
    for domain, nicename, _ in terms:
        if domain == POLYLANG_LANGUAGE and nicename:
            return nicename.strip().lower()[:10]
    return (meta.get(WPML_LANGUAGE) or "").strip().lower()[:10]


def item_group(terms, meta: dict[str, str]) -> str:
    """A key shared by the post's translations in the export, or ""."""
    for domain, nicename, _ in terms:
        if domain == POLYLANG_GROUP and nicename:
            return f"polylang:{nicename}"
    group = (meta.get(WPML_GROUP) or "").strip()
    return f"wpml:{group}" if group else ""


def link_imported(groups: dict[str, list[int]]) -> tuple[int, list[str]]:
    """Link the posts of each group (WordPress ids): (groups linked, problems)."""
    wp_ids = sorted({i for ids in groups.values() for i in ids})
    by_wp: dict[int, Post] = {}
    for start in range(0, len(wp_ids), 500):
        chunk = wp_ids[start : start + 500]
        by_wp.update(
            (p.wp_id, p) for p in db.session.scalars(select(Post).where(Post.wp_id.in_(chunk)))
        )
    linked, problems = 0, []
    for key, ids in groups.items():
        posts = [by_wp[i] for i in dict.fromkeys(ids) if i in by_wp]
        joined = 0
        for other in posts[1:]:
            try:
                link(posts[0], other)
            except LinkRefused as refused:
                problems.append(f"translations {key}: post {other.wp_id} not linked: {refused}")
            else:
                db.session.flush()  # the next link reads this one's rows
                joined += 1
        linked += bool(joined)
    return linked, problems
