"""Where a view came from: our own ``?ref=`` when a link carries it, else the
referrer's domain, else "direct". Pure functions over strings; tests call them
directly. Only the domain of a referrer is ever kept, never its path or query."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# ``?ref=`` values our own links carry (the newsletter's: blogapp.newsletter.services).
REFS = frozenset({"newsletter", "telegram", "facebook", "fediverse"})

TELEGRAM = frozenset(
    {"t.me", "telegram.me", "telegram.org", "web.telegram.org", "org.telegram.messenger"}
)
FACEBOOK = frozenset(
    {
        "facebook.com",
        "m.facebook.com",
        "l.facebook.com",
        "lm.facebook.com",
        "mbasic.facebook.com",
        "fb.com",
        "messenger.com",
        "com.facebook.katana",
        "com.facebook.orca",
        "com.facebook.lite",
    }
)
SEARCH = re.compile(
    r"(?:^|\.)(?:google\.[a-z]{2,3}(?:\.[a-z]{2})?|bing\.com|duckduckgo\.com|search\.yahoo\.com"
    r"|yandex\.[a-z]{2,3}|baidu\.com|ecosia\.org|qwant\.com|startpage\.com|search\.brave\.com"
    r"|naver\.com|seznam\.cz|com\.google\.android\.googlequicksearchbox)$"
)
# Fediverse servers readers often come from; the servers of the blog's own followers
# and repliers are added from the database (blogapp.stats.ingest).
FEDIVERSE = frozenset(
    {
        "mastodon.social",
        "mastodon.online",
        "mstdn.social",
        "mas.to",
        "fosstodon.org",
        "infosec.exchange",
        "hachyderm.io",
        "mastodon.world",
        "pixelfed.social",
        "misskey.io",
        "threads.net",
    }
)
FEDIVERSE_PREFIXES = ("mastodon.", "mstdn.", "toot.", "social.")


def referrer_domain(referrer: str) -> str:
    """The host of a referrer URL, lower case, without ``www.``; "" when it has none.
    An Android app's referrer (``android-app://com.facebook.katana/``) gives its package."""
    if not referrer or referrer == "-":
        return ""
    try:
        host = urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
    if host.startswith("www."):
        host = host[4:]
    return host[:253]


@dataclass
class Channels:
    """Names the channel of a view; ``own`` are the site's own hosts (a reader moving
    from page to page), ``fediverse`` hosts known to be fediverse servers."""

    own: frozenset[str] = frozenset()
    fediverse: frozenset[str] = FEDIVERSE
    _by_domain: dict[str, str] = field(default_factory=dict)

    def of(self, ref: str, domain: str) -> str:
        if ref in REFS:
            return ref
        if not domain:
            return "direct"
        channel = self._by_domain.get(domain)
        if channel is None:
            channel = self._by_domain[domain] = self._classify(domain)
        return channel

    def _classify(self, domain: str) -> str:
        if domain in self.own:
            return "site"
        if domain in TELEGRAM or domain.endswith(".t.me"):
            return "telegram"
        if domain in FACEBOOK or domain.endswith(".facebook.com"):
            return "facebook"
        if SEARCH.search(domain):
            return "search"
        if domain in self.fediverse or domain.startswith(FEDIVERSE_PREFIXES):
            return "fediverse"
        return "other"
