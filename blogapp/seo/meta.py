"""What search engines and social sites read in a page's head: title,
description, canonical link, Open Graph and Twitter cards, feed links and
JSON-LD ``OpinionNewsArticle`` data. ``page_meta()`` is a template global that reads
the page's own context (``post``, ``page_obj``, ``browsing``, ``category``…).

The image social sites show is a share card (blogapp.cards): the post's own, else the
site's; pages only read the cards' names, they never draw one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urljoin

from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup

from blogapp.authors.services import join_plain
from blogapp.cards.names import HEIGHT, WIDTH, card_url, site_card
from blogapp.config import LANGUAGES
from blogapp.content import html_to_text, post_label, truncate_graphemes
from blogapp.dates import format_date
from blogapp.interface_language import current_language, site_description
from blogapp.models import Page, Post
from blogapp.onion import reader_origin
from blogapp.permalinks import post_url
from blogapp.translations.services import default_version

DESCRIPTION_GRAPHEMES = 160
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
# Pages a search engine should index, each at its canonical address.
INDEXABLE = {
    "posts.index",
    "posts.detail",
    "posts.page",
    "posts.archive",
    "posts.author",
    "posts.tag",
    "categories.detail",
    "corrections.index",
}
OG_LOCALES = {language.code: language.og_locale for language in LANGUAGES}


@dataclass(frozen=True)
class FeedLink:
    title: str
    href: str
    type: str = RSS


@dataclass
class PageMeta:
    title: str
    description: str
    canonical: str = ""  # empty: the page is not for indexing
    og_type: str = "website"
    locale: str = "en_US"
    image: str = ""
    image_width: int = 0  # 0: not known (a picture from the post's text)
    image_height: int = 0
    image_alt: str = ""
    author_url: str = ""
    section: str = ""  # the post's first category
    published: str = ""
    modified: str = ""
    feeds: list[FeedLink] = field(default_factory=list)
    json_ld: Markup | None = None
    # (hreflang, absolute URL) for each language version, then "x-default".
    alternates: list[tuple[str, str]] = field(default_factory=list)

    @property
    def page_feed(self) -> FeedLink | None:
        """The feed of this page's own content (an archive's), after the site-wide three."""
        return self.feeds[3] if len(self.feeds) > 3 else None


def absolute_url(path_or_url: str) -> str:
    """Absolute, from SITE_URL, never the request's Host; absolute URLs stay as they are."""
    return urljoin(current_app.config["SITE_URL"] + "/", path_or_url)


def reader_link(path: str) -> str:
    """A link a reader's browser follows (a feed to subscribe to): on the onion when
    the page was asked there (``blogapp.onion``). Canonical and social links keep
    SITE_URL: they name the page's one public address."""
    return urljoin(reader_origin() + "/", path)


def plain_description(fragment: str) -> str:
    """Plain text of an excerpt, at most about DESCRIPTION_GRAPHEMES characters."""
    text = html_to_text(fragment)
    # An automatic excerpt already ends in " …"; one ellipsis is enough.
    shortened = text.endswith("…")
    text, truncated = truncate_graphemes(text.removesuffix("…").rstrip(), DESCRIPTION_GRAPHEMES)
    return text + (" …" if truncated or shortened else "")


def json_for_script(data) -> Markup:
    """JSON that cannot end its <script> element or open a comment early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


# The feed of what a page shows, by the page's endpoint: the feed's endpoint, its
# arguments (each taken from the page's, with its default) and its title.
_OWN_FEEDS = {
    "categories.detail": ("feeds.category", {"path": ""}, _l("%(name)s Category Feed")),
    "posts.tag": ("feeds.tag", {"slug": ""}, _l("%(name)s Tag Feed")),
    "posts.author": ("feeds.author", {"slug": ""}, _l("Posts by %(name)s Feed")),
    "posts.detail": (
        "feeds.post_comments",
        dict.fromkeys(("year", "month", "day", "slug")),
        _l("%(name)s Comments Feed"),
    ),
    "corrections.index": ("corrections.feed", {}, _l("%(name)s Feed")),
}
_SITE_FEEDS = "blogapp_site_feeds"  # in app.extensions: (language, origin…) -> links


def site_feeds() -> tuple[FeedLink, ...]:
    """The site's three feeds, worked out once per worker for each language, site name,
    reader origin (the onion's or SITE_URL) and script root: they read nothing else."""
    app = current_app._get_current_object()
    site = app.config["SITE_NAME"]
    key = (current_language(), site, reader_origin(), request.script_root)
    kept = app.extensions.setdefault(_SITE_FEEDS, {})
    found = kept.get(key)
    if found is None:
        found = (
            FeedLink(f"{site} » " + _("Feed"), reader_link(url_for("feeds.posts_rss"))),
            FeedLink(f"{site} » " + _("Atom Feed"), reader_link(url_for("feeds.posts_atom")), ATOM),
            FeedLink(f"{site} » " + _("Comments Feed"), reader_link(url_for("feeds.comments_rss"))),
        )
        if len(kept) >= 16:
            kept.clear()
        kept[key] = found
    return found


def feed_links(context_label: str | None = None, specific: bool = True) -> list[FeedLink]:
    """The site's feeds, and the feed of what this page shows (an archive, a post's comments)."""
    links = list(site_feeds())
    own = _OWN_FEEDS.get(request.endpoint or "") if specific else None
    if own is not None:
        feed_endpoint, defaults, kind = own
        args = request.view_args or {}
        feed_args = {name: args.get(name, default) for name, default in defaults.items()}
        href = reader_link(url_for(feed_endpoint, **feed_args))
        named = str(kind) % {"name": context_label or ""}
        site = current_app.config["SITE_NAME"]
        links.append(FeedLink(f"{site} » {named}".replace("  ", " ").strip(), href))
    return links


@pass_context
def page_meta(context) -> PageMeta:
    """The page's meta data; worked out once per request (the head asks twice)."""
    found = g.get("blogapp_page_meta")
    if found is None:
        found = g.blogapp_page_meta = _page_meta(context)
    return found


def _page_meta(context) -> PageMeta:
    site = current_app.config["SITE_NAME"]
    endpoint = request.endpoint or ""
    indexable = endpoint in INDEXABLE and "s" not in request.args and not context.get("code")
    canonical = ""
    if indexable and request.url_rule is not None:
        canonical = absolute_url(url_for(endpoint, **(request.view_args or {})))
    post = context.get("post")
    page = context.get("page_obj")
    if isinstance(post, Post) and endpoint == "posts.detail":
        terms = context.get("terms")
        return _post_meta(
            post,
            context.get("notes") or [],
            context.get("versions") or [],
            terms.categories if terms is not None else [],
        )
    description = site_description()
    if isinstance(page, Page):
        title = page.title or site
        description = plain_description(page.body_html) or description
    elif context.get("browsing"):
        title = context["browsing"][1]
        category = context.get("category")
        if category is not None and getattr(category, "description", ""):
            description = category.description
    else:
        title = site
    return PageMeta(
        title=title,
        description=description,
        canonical=canonical,
        locale=OG_LOCALES.get(current_language(), "en_US"),
        # An error page shows no card: it must render even when the database is down.
        **({} if context.get("code") else site_card_image()),
        # An error page (a missing post, say) has no feed of its own.
        feeds=feed_links(
            title if context.get("browsing") else None, specific=not context.get("code")
        ),
    )


def language_alternates(versions) -> list[tuple[str, str]]:
    """hreflang links for a translation group's versions: each, and ``x-default``."""
    if not versions:
        return []
    links = [(v.language, absolute_url(post_url(v))) for v in versions]
    return [*links, ("x-default", absolute_url(post_url(default_version(versions))))]


def site_card_image() -> dict:
    """``og:image`` and its details for a page showing the site's card (none until drawn)."""
    name = site_card()
    if not name:
        return {}
    config = current_app.config
    return {
        "image": absolute_url(card_url(name)),
        "image_width": WIDTH,
        "image_height": HEIGHT,
        "image_alt": f"{config['SITE_NAME']}: {config['SITE_DESCRIPTION']}",
    }


def post_image(post: Post, title: str) -> dict:
    """The post's card; until it is drawn the site's card, else the post's first picture."""
    if post.share_card:
        author = join_plain([profile.name_in(post.language) for profile in post.bylines])
        alt = " · ".join(p for p in (title, author, current_app.config["SITE_NAME"]) if p)
        return {
            "image": absolute_url(card_url(post.share_card)),
            "image_width": WIDTH,
            "image_height": HEIGHT,
            "image_alt": alt,
        }
    found = site_card_image()
    if not found and post.first_image_url:
        found = {"image": absolute_url(post.first_image_url)}
    return found


def _person(profile, language: str) -> dict:
    """A byline as schema.org's Person: only what the author page shows (never the
    account behind it, nor whether the name is a pen name)."""
    person = {
        "@type": "Person",
        "name": profile.name_in(language),
        "url": absolute_url(url_for("posts.author", slug=profile.slug)),
    }
    if profile.links:
        person["sameAs"] = profile.links
    if profile.affiliation:
        person["affiliation"] = {"@type": "Organization", "name": profile.affiliation}
    if profile.bio:
        person["description"] = profile.bio
    return person


def _post_meta(post: Post, notes=(), versions=(), categories=()) -> PageMeta:
    site = current_app.config["SITE_NAME"]
    title = post_label(post, format_date(post.published_at))
    description = plain_description(post.excerpt_html) or site_description()
    url = absolute_url(post_url(post))
    image = post_image(post, title)
    published = post.published_at.isoformat(timespec="seconds")
    # A correction or update note modifies the post as readers see it.
    modified = max(post.updated_at, post.published_at, *(n.updated_at for n in notes))
    modified = modified.isoformat(timespec="seconds")
    section = categories[0].name if categories else ""
    # Op-eds: schema.org's type for opinion, so search engines label it as such.
    article = {
        "@context": "https://schema.org",
        "@type": "OpinionNewsArticle",
        "headline": truncate_graphemes(title, 110)[0],
        "description": description,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": published,
        "dateModified": modified,
        "inLanguage": post.language,
        "publisher": {
            "@type": "Organization",
            "name": site,
            "url": current_app.config["SITE_URL"] + "/",
        },
    }
    people = [_person(profile, post.language) for profile in post.bylines]
    author_url = people[0]["url"] if people else ""
    if people:
        article["author"] = people[0] if len(people) == 1 else people
    if section:
        article["articleSection"] = section
    if image.get("image_width"):
        article["image"] = [
            {
                "@type": "ImageObject",
                "url": image["image"],
                "width": image["image_width"],
                "height": image["image_height"],
            }
        ]
    elif image:
        article["image"] = [image["image"]]
    return PageMeta(
        title=title,
        description=description,
        canonical=url,
        og_type="article",
        locale=OG_LOCALES.get(post.language, "en_US"),
        published=published,
        modified=modified,
        feeds=feed_links(title),
        json_ld=json_for_script(article),
        alternates=language_alternates(versions),
        author_url=author_url,
        section=section,
        **image,
    )
