"""Plain ``make_*`` functions that store rows the way the app itself would."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from blogapp.authors.services import profile_for_user, set_bylines, slug_for
from blogapp.content import render_post, slugify, unique_slug
from blogapp.extensions import db
from blogapp.models import (
    FORMAT_MARKDOWN,
    ROLE_EDITOR,
    AuthorProfile,
    Category,
    Comment,
    CommentStatus,
    Page,
    Post,
    PostStatus,
    Tag,
    User,
    utcnow,
)

_seq = count(1)


def make_user(
    login: str | None = None,
    display_name: str = "",
    role: str = ROLE_EDITOR,
    email: str | None = None,
    password: str | None = None,
    **fields,
) -> User:
    n = next(_seq)
    user = User(
        login=login or f"writer{n}",
        display_name=display_name,
        role=role,
        email=email or f"writer{n}@example.org",
        **fields,
    )
    if password is not None:
        from blogapp.auth.passwords import set_password

        set_password(user, password)
    db.session.add(user)
    db.session.commit()
    return user


def make_category(name: str, parent: Category | None = None, slug: str | None = None) -> Category:
    category = Category(name=name, slug=slug or slugify(name), parent=parent)
    db.session.add(category)
    db.session.commit()
    return category


def make_tag(name: str) -> Tag:
    tag = Tag(name=name, slug=slugify(name))
    db.session.add(tag)
    db.session.commit()
    return tag


def make_post(
    title: str = "A post",
    body: str = "Some words.",
    *,
    author: User | None = None,
    status: str = PostStatus.PUBLISHED,
    published_at: datetime | None = None,
    categories: list[Category] = (),
    tags: list[Tag] = (),
    language: str = "en",
    content_format: str = FORMAT_MARKDOWN,
    excerpt: str = "",
    slug: str | None = None,
    source_line: str = "",
    commit: bool = True,
    bylines: list[AuthorProfile] | None = None,
    **extra,
) -> Post:
    """A post; its byline is ``bylines``, else its author's own profile (blogapp.authors)."""
    post = Post(
        title=title,
        body=body,
        status=status,
        language=language,
        content_format=content_format,
        excerpt=excerpt,
        source_line=source_line,
        published_at=published_at or (utcnow() - timedelta(hours=1)),
        slug=slug or unique_slug(Post, slugify(title) or "post"),
        author=author,
        categories=list(categories),
        tags=list(tags),
        **extra,
    )
    render_post(post)
    db.session.add(post)
    if bylines is None and author is not None:
        bylines = [profile_for_user(author)]
    if bylines:
        set_bylines(post, [profile.id for profile in bylines])
    if commit:
        db.session.commit()
    return post


def make_profile(
    name: str = "Guest Writer",
    *,
    slug: str | None = None,
    user: User | None = None,
    pen_name: bool = False,
    **extra,
) -> AuthorProfile:
    """An author profile (blogapp.authors), with or without an account."""
    profile = AuthorProfile(
        name=name,
        slug=slug or slug_for(name),
        names=extra.pop("names", {}),
        user_id=user.id if user else None,
        is_pen_name=pen_name,
        **extra,
    )
    db.session.add(profile)
    db.session.commit()
    return profile


def make_page(title: str, body: str, status: str = PostStatus.PUBLISHED) -> Page:
    from blogapp.content import render_page

    page = Page(title=title, slug=slugify(title), body=body, status=status)
    render_page(page)
    db.session.add(page)
    db.session.commit()
    return page


def make_comment(
    post: Post,
    body: str = "A thoughtful reply.",
    *,
    status: str = CommentStatus.APPROVED,
    author_name: str = "Reader",
    author_email: str = "reader@example.org",
    parent: Comment | None = None,
    created_at: datetime | None = None,
    commit: bool = True,
) -> Comment:
    from blogapp.sanitize import clean_comment

    comment = Comment(
        post_id=post.id,
        body=body,
        body_html=clean_comment(body),
        status=status,
        author_name=author_name,
        author_email=author_email,
        parent_id=parent.id if parent else None,
        depth=(parent.depth + 1) if parent else 0,
        created_at=created_at or utcnow(),
    )
    db.session.add(comment)
    if status == CommentStatus.APPROVED:
        post.comment_count += 1
    if commit:
        db.session.commit()
    return comment
