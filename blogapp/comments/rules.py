"""When comments are closed, and what happens to a new comment: approved, held
for a moderator (pending) or sent to spam. Pure functions, so tests call them
directly as well as through the form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from blogapp import clock
from blogapp.comments.commented_post import CommentedPost
from blogapp.comments.settings import CommentSettings
from blogapp.models import COMMENTS_CLOSED, COMMENTS_MODERATED, CommentStatus

_LINK = re.compile(r"<a\s", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)", re.IGNORECASE)


def comments_closed(post: CommentedPost, settings: CommentSettings) -> bool:
    """Closed per post, or automatically ``close_after_days`` after publication."""
    if post.comment_mode == COMMENTS_CLOSED:
        return True
    days = settings.close_after_days
    return days > 0 and post.published_at + timedelta(days=days) < clock.now()


@dataclass(frozen=True)
class Candidate:
    """What a reader sent, as it will be stored."""

    author_name: str
    author_email: str
    author_url: str
    author_ip: str
    body: str
    body_html: str


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str


def count_links(body: str, body_html: str) -> int:
    """Links in a comment: anchors in the sanitized HTML (typed, or bare URLs made
    clickable), or addresses in the text, whichever is more (not every address
    becomes a link, but a spammer's list of them is still a list of links)."""
    return max(len(_LINK.findall(body_html)), len(_URL.findall(body)))


def _word_in(words: tuple[str, ...], candidate: Candidate) -> str:
    """The first listed word found anywhere the commenter wrote, or in their address."""
    haystacks = (
        candidate.body,
        candidate.author_name,
        candidate.author_email,
        candidate.author_url,
        candidate.author_ip,
    )
    lowered = [h.lower() for h in haystacks]
    return next((w for w in words if any(w in h for h in lowered)), "")


def judge(
    candidate: Candidate,
    settings: CommentSettings,
    *,
    comment_mode: str,
    honeypot_filled: bool,
    seconds_since_served: float | None,
    min_seconds: float,
    known_commenter: bool,
    lockdown_hold: bool = False,
) -> Verdict:
    """The order matters: bot traps and the blocklist first (spam), then the reasons
    to hold that beat auto-approve (a lockdown that holds everything first), then
    auto-approve, else hold."""
    if honeypot_filled:
        return Verdict(CommentStatus.SPAM, "hidden field filled in")
    if seconds_since_served is None:
        return Verdict(CommentStatus.SPAM, "form token missing or forged")
    if seconds_since_served < min_seconds:
        return Verdict(
            CommentStatus.SPAM, f"sent {seconds_since_served:.1f}s after the form was served"
        )
    if word := _word_in(settings.blocklist_words, candidate):
        return Verdict(CommentStatus.SPAM, f"blocklist word “{word}”")
    if lockdown_hold:
        return Verdict(CommentStatus.PENDING, "lockdown: every new comment is held")
    if comment_mode == COMMENTS_MODERATED:
        return Verdict(CommentStatus.PENDING, "post is moderated")
    links = count_links(candidate.body, candidate.body_html)
    if links > settings.link_limit:
        return Verdict(CommentStatus.PENDING, f"{links} links (limit {settings.link_limit})")
    if word := _word_in(settings.moderation_words, candidate):
        return Verdict(CommentStatus.PENDING, f"moderation word “{word}”")
    if not candidate.author_email:
        return Verdict(CommentStatus.PENDING, "no e-mail address")
    if settings.auto_approve_known and known_commenter:
        return Verdict(CommentStatus.APPROVED, "known commenter")
    return Verdict(CommentStatus.PENDING, "held for moderation")
