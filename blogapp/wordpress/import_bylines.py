"""Import step: who an item's byline names. Co-Authors Plus's ``author``
terms when the item has them, in order, else its ``dc:creator``; a WordPress user
becomes the profile of its account, a Co-Authors Plus guest author a profile with no
account. An empty author stays empty: no byline, never an invented name."""

from __future__ import annotations

from sqlalchemy import select

from blogapp.authors.services import check_links, slug_for
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors
from blogapp.models import AuthorProfile, User
from blogapp.sanitize import strip_invisible
from blogapp.wordpress.import_state import ImportState
from blogapp.wordpress.wxr_meta import CAP_PREFIX, CAP_TAXONOMY, META_PEN_NAME
from blogapp.wordpress.wxr_reader import WxrItem


def _clean(text: str, limit: int) -> str:
    return strip_invisible(text).strip()[:limit]


def item_bylines(state: ImportState, item: WxrItem) -> list[int]:
    """The profile ids of an item's byline, in order."""
    logins = [
        _clean(name or nicename.removeprefix(CAP_PREFIX), 200)
        for domain, nicename, name in item.terms
        if domain == CAP_TAXONOMY
    ]
    if not any(logins):
        logins = [_clean(item.creator, 60)]
    found: list[int] = []
    for login in logins:
        if login and (pid := profile_for_login(state, login)) not in found:
            found.append(pid)
    return found


def profile_for_login(state: ImportState, login: str) -> int:
    """The profile a WordPress login names: its account's own, or a guest author's
    (one not yet read gets a profile under its login, filled in when it comes)."""
    if login in state.profiles_by_login:
        return state.profiles_by_login[login]
    user_id = state.users_by_login.get(login)
    if user_id is not None:
        profile = db.session.scalar(
            select(AuthorProfile)
            .where(AuthorProfile.user_id == user_id, AuthorProfile.is_pen_name.is_(False))
            .order_by(AuthorProfile.id)
            .limit(1)
        )
        if profile is None:
            user = db.session.get(User, user_id)
            profile = AuthorProfile(
                slug=slug_for(user.login),
                name=user.display_name.strip(),
                names={},
                user_id=user_id,
                wp_login=login,
            )
    else:
        profile = db.session.scalar(select(AuthorProfile).where(AuthorProfile.wp_login == login))
        if profile is None:
            profile = AuthorProfile(slug=slug_for(login), name="", names={}, wp_login=login)
    if profile.id is None:
        db.session.add(profile)
        db.session.flush()
        state.report.added["author profiles"] += 1
    state.profiles_by_login[login] = profile.id
    return profile.id


def add_guest_author(state: ImportState, item: WxrItem) -> None:
    """A Co-Authors Plus guest author: a profile with no account unless it names one."""
    meta = item.meta
    login = _clean(meta.get("cap-user_login", "") or item.post_name, 200)
    if not login:
        state.report.warn("a guest author without a login was left out", item.line)
        return
    profile = db.session.get(AuthorProfile, profile_for_login(state, login))
    name = _clean(meta.get("cap-display_name", "") or item.title, 250)
    if name:
        profile.name = name
    profile.bio = _clean(meta.get("cap-description", ""), 1000) or profile.bio
    try:
        links = check_links(meta.get("cap-website", ""))
    except FieldErrors:
        links = []
        state.report.warn(
            f"guest author {login!r}: a website that is not https:// was left out", item.line
        )
    if links:
        profile.same_as = "\n".join(links)
    linked = state.users_by_login.get(_clean(meta.get("cap-linked_account", ""), 60))
    if linked is not None and profile.user_id is None:
        profile.user_id = linked
    profile.is_pen_name = meta.get(META_PEN_NAME) == "1" or profile.is_pen_name
    state.report.added["guest authors read"] += 1
