"""Author profiles and bylines as plain functions: a profile for an account, a post's
bylines in order, the words "By A and B", and who may open and publish which post."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import delete, func, insert, select

from blogapp.content import slugify, unique_slug
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors
from blogapp.models import AuthorProfile, Media, Post, User, post_bylines
from blogapp.sanitize import strip_invisible

URL_SAFE = re.compile(r"[A-Za-z0-9._-]{1,200}")
MAX_BYLINES = 6


def slug_for(text: str, exclude_id: int | None = None) -> str:
    """A free profile slug from a login or a name: a login fit for a URL stays as it
    is, so ``/author/login/`` keeps its address."""
    text = text.strip()
    wanted = text if URL_SAFE.fullmatch(text) else slugify(text)
    return unique_slug(AuthorProfile, wanted or "author", exclude_id)  # type: ignore[arg-type]


def own_profile_id(user: User) -> int | None:
    """The id of the account's own (not pen-name) profile, if it has one yet."""
    return db.session.scalar(
        select(AuthorProfile.id)
        .where(AuthorProfile.user_id == user.id, AuthorProfile.is_pen_name.is_(False))
        .order_by(AuthorProfile.id)
        .limit(1)
    )


def profile_for_user(user: User) -> AuthorProfile:
    """The account's own (not pen-name) profile, made when it writes its first post."""
    if user.id is None:
        db.session.flush()
    found = db.session.scalar(
        select(AuthorProfile)
        .where(AuthorProfile.user_id == user.id, AuthorProfile.is_pen_name.is_(False))
        .order_by(AuthorProfile.id)
        .limit(1)
    )
    if found is None:
        found = AuthorProfile(
            slug=slug_for(user.login), name=user.display_name.strip(), names={}, user_id=user.id
        )
        db.session.add(found)
        db.session.flush()
    return found


def own_profile_ids(user: User) -> set[int]:
    """The profiles an account writes as: its own and its pen names."""
    return set(db.session.scalars(select(AuthorProfile.id).where(AuthorProfile.user_id == user.id)))


def set_bylines(post: Post, profile_ids: Sequence[int]) -> None:
    """Replace the post's bylines by ``profile_ids``, in that order (duplicates and
    unknown ids dropped). Written as rows, so positions hold; the content version
    notices the statements (blogapp.content_version)."""
    wanted = list(dict.fromkeys(profile_ids))[:MAX_BYLINES]
    known = set(db.session.scalars(select(AuthorProfile.id).where(AuthorProfile.id.in_(wanted))))
    wanted = [pid for pid in wanted if pid in known]
    if post.id is None:
        db.session.flush()
    current = list(
        db.session.scalars(
            select(post_bylines.c.author_id)
            .where(post_bylines.c.post_id == post.id)
            .order_by(post_bylines.c.position)
        )
    )
    if current == wanted:
        return
    db.session.execute(delete(post_bylines).where(post_bylines.c.post_id == post.id))
    if wanted:
        db.session.execute(
            insert(post_bylines),
            [{"post_id": post.id, "author_id": pid, "position": i} for i, pid in enumerate(wanted)],
        )
    db.session.expire(post, ["bylines"])


def byline_ids(post: Post) -> list[int]:
    return list(
        db.session.scalars(
            select(post_bylines.c.author_id)
            .where(post_bylines.c.post_id == post.id)
            .order_by(post_bylines.c.position)
        )
    )


def profile_choices() -> list[tuple[int, str]]:
    """Every profile, for the editor's byline menus: the admin sees pen names marked."""
    rows = db.session.execute(
        select(
            AuthorProfile.id, AuthorProfile.name, AuthorProfile.slug, AuthorProfile.is_pen_name
        ).order_by(func.lower(AuthorProfile.name), AuthorProfile.slug)
    ).all()
    return [
        (pid, (name or slug) + (" (pen name)" if pen else ""))  # the admin's English
        for pid, name, slug, pen in rows
    ]


def join_names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C", in the interface's language (the patterns are
    translated: Khmer says "និង"). Markup items stay markup; plain strings are escaped."""
    items = [Markup.escape(n) for n in names]
    if not items:
        return Markup("")
    if len(items) == 1:
        return items[0]
    joined = items[0]
    for item in items[1:-1]:
        joined = Markup(gettext("%(list)s, %(item)s")) % {"list": joined, "item": item}
    return Markup(gettext("%(list)s and %(last)s")) % {"list": joined, "last": items[-1]}


def join_plain(names: Sequence[str]) -> str:
    """``join_names`` as plain text, for feeds and share cards."""
    names = [n for n in names if n]
    if len(names) < 2:
        return names[0] if names else ""
    joined = names[0]
    for name in names[1:-1]:
        joined = gettext("%(list)s, %(item)s", list=joined, item=name)
    return gettext("%(list)s and %(last)s", list=joined, last=names[-1])


def byline_names(post: Post, language: str | None = None) -> list[str]:
    return [profile.name_in(language) for profile in post.bylines]


def old_author_slug(login: str) -> str | None:
    """Where ``/author/<login>/`` moved: the account's own profile, never a pen name
    (that would tell readers who writes under it)."""
    return db.session.scalar(
        select(AuthorProfile.slug)
        .join(User, User.id == AuthorProfile.user_id)
        .where(User.login == login, AuthorProfile.is_pen_name.is_(False))
        .order_by(AuthorProfile.id)
        .limit(1)
    )


def profile_posts(profile_id: int):
    """The SQL condition "this profile has a byline on the post", for listings."""
    return Post.id.in_(select(post_bylines.c.post_id).where(post_bylines.c.author_id == profile_id))


@dataclass
class ProfileData:
    name: str = ""
    slug: str = ""  # empty: made from the name
    names: dict[str, str] = field(default_factory=dict)  # the name in other languages
    bio: str = ""
    affiliation: str = ""
    disclosure: str = ""
    same_as: str = ""  # one https URL a line
    photo_id: int | None = None
    user_id: int | None = None
    is_pen_name: bool = False


def _clean(text: str) -> str:
    return strip_invisible(text).strip()


def check_links(text: str) -> list[str]:
    links = [line.strip() for line in text.splitlines() if line.strip()]
    for link in links:
        parts = urlsplit(link)
        if parts.scheme != "https" or not parts.netloc:
            raise FieldErrors({"same_as": f"Not an https:// address: {link[:100]}"})
    return links


def save_profile(profile: AuthorProfile | None, data: ProfileData) -> AuthorProfile:
    """Create (``profile`` None) or update a profile; raises FieldErrors for input to fix."""
    name = _clean(data.name)
    if not name:
        raise FieldErrors({"name": "A profile needs a name."})
    links = check_links(data.same_as)
    exclude = profile.id if profile else None
    if data.slug.strip():
        slug = slugify(data.slug)
        taken = db.session.scalar(
            select(AuthorProfile.id).where(
                AuthorProfile.slug == slug, AuthorProfile.id != (exclude or 0)
            )
        )
        if not slug or taken:
            raise FieldErrors({"slug": "This slug is empty or another author's."})
    else:
        slug = profile.slug if profile else slug_for(name, exclude)
    if data.photo_id is not None and db.session.get(Media, data.photo_id) is None:
        raise FieldErrors({"photo_id": "No image has this number in Media."})
    if data.user_id is not None and db.session.get(User, data.user_id) is None:
        raise FieldErrors({"user_id": "No such account."})
    if profile is None:
        profile = AuthorProfile()
        db.session.add(profile)
    profile.slug, profile.name = slug, name
    profile.names = {lang: _clean(text) for lang, text in data.names.items() if _clean(text)}
    profile.bio, profile.affiliation = _clean(data.bio), _clean(data.affiliation)
    profile.disclosure, profile.same_as = _clean(data.disclosure), "\n".join(links)
    profile.photo_id, profile.user_id = data.photo_id, data.user_id
    profile.is_pen_name = data.is_pen_name
    db.session.commit()
    return profile


def delete_profile(profile: AuthorProfile) -> None:
    """Only a profile no post names: a byline is never silently emptied."""
    used = db.session.scalar(
        select(func.count()).select_from(post_bylines).where(post_bylines.c.author_id == profile.id)
    )
    if used:
        raise FieldErrors(
            {"": f"{profile.name} is on {used} post(s)' bylines; change those first."}
        )
    db.session.delete(profile)
    db.session.commit()
