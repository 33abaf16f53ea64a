"""Import step: the export's authors become users (matched by WordPress id, then by
login), and an item's author is found or added."""

from __future__ import annotations

from sqlalchemy import update

from blogapp.extensions import db
from blogapp.models import User
from blogapp.sanitize import strip_invisible
from blogapp.wordpress.import_state import ImportState
from blogapp.wordpress.wxr_reader import WxrAuthor


def add_author(state: ImportState, author: WxrAuthor) -> None:
    login = strip_invisible(author.login).strip()[:60]
    report = state.report
    if not login:
        report.warn("an author without a login was left out", author.line)
        return
    if author.wp_id is not None and author.wp_id in state.users_by_wp:
        state.users_by_login.setdefault(login, state.users_by_wp[author.wp_id])
        report.skipped["authors already here"] += 1
        return
    if login in state.users_by_login:
        report.skipped["authors already here"] += 1
        if author.wp_id is not None:
            # Remember the WordPress id, so the next import matches by it.
            db.session.execute(
                update(User)
                .where(User.id == state.users_by_login[login], User.wp_id.is_(None))
                .values(wp_id=author.wp_id)
            )
            state.users_by_wp[author.wp_id] = state.users_by_login[login]
        return
    user = User(
        login=login,
        email=author.email.strip()[:254],
        display_name=strip_invisible(author.display_name).strip()[:250],
        wp_id=author.wp_id,
    )
    db.session.add(user)
    db.session.flush()
    state.users_by_login[login] = user.id
    if author.wp_id is not None:
        state.users_by_wp[author.wp_id] = user.id
    report.added["authors"] += 1


def author_id(state: ImportState, login: str, line: int | None) -> int | None:
    """The user id of an item's author, added when the authors list left them out."""
    login = strip_invisible(login).strip()[:60]
    if not login:
        return None
    if login not in state.users_by_login:
        add_author(state, WxrAuthor(None, login, "", "", line))
        state.report.warn(f"author {login!r} was not in the authors list; added", line)
    return state.users_by_login.get(login)
