"""Reader comments: the public form and thread (``bp``) and moderation at
``/admin/comments`` (``moderation_bp``). Rules live in rules.py and settings.py,
every change in services.py; the section a post page shows, and a comment on its way in,
in section.py;
mail (notify.py, subscriptions.py) goes through blogapp.mail's outbox, and the links
in it open ``mail_bp``'s pages; readers fix their own comment at ``own_edits_bp``."""

from blogapp.comments.mail_views import bp as mail_bp
from blogapp.comments.moderation import bp as moderation_bp
from blogapp.comments.own_edits import bp as own_edits_bp
from blogapp.comments.views import bp
from blogapp.interface_language import N_

__all__ = ["bp", "init_app", "mail_bp", "moderation_bp", "own_edits_bp"]


def init_app(app) -> None:
    """Register what the comments bring (``blogapp.registry``): the reply digest,
    composed when sent; the prune jobs for old addresses and quotes; the reader data
    (run after the erasers that find their rows through the comments); the
    moderation queue's menu entry with its count."""
    from sqlalchemy import func, select

    from blogapp.comments import keys, reader_data, reports, retention, spam_filter
    from blogapp.comments.subscriptions import compose_digest
    from blogapp.extensions import db
    from blogapp.models import Comment, CommentStatus
    from blogapp.registry import AdminScreen, OutboxHandler, ReaderData, registry

    def pending() -> int:
        """Comments waiting for moderation: one COUNT, never cached, so the nav is exact."""
        return (
            db.session.scalar(
                select(func.count())
                .select_from(Comment)
                .where(Comment.status == CommentStatus.PENDING)
            )
            or 0
        )

    from blogapp.comments import lockdown
    from blogapp.comments.thread_html import comment_list

    # The dashboard shows the lockdown switch (the admin imports no feature: its
    # template asks for this only when the switch's route exists).
    app.add_template_global(lockdown.current, "comment_lockdown")
    app.add_template_global(lockdown.MODES, "comment_lockdown_modes")
    app.add_template_global(comment_list)

    found = registry(app)
    found.add_outbox_kind(OutboxHandler("reply-digest", compose=compose_digest))
    found.add_outbox_kind(OutboxHandler(reports.KIND))  # a reader's report, to the moderators
    found.add_job(
        "comment-addresses",
        lambda: (
            f"Erased the address of {retention.erase_old_addresses()} comment(s) older than "
            f"{retention.retention_days()} day(s)."
        ),
    )
    found.add_job(
        "report-hashes",
        lambda: (
            f"Blanked {reports.forget_reporters()} reporter hash(es) of comment reports older "
            f"than {retention.retention_days()} day(s)."
        ),
    )
    found.add_job(
        "commenter-keys",
        lambda: (
            f"Deleted {keys.forget_expired()} commenter key(s) older than {keys.key_days()} day(s)."
        ),
    )
    found.add_job(
        "deleted-quotes",
        lambda: (
            f"Blanked {retention.erase_old_deleted_quotes()} moderation-log quote(s) of "
            "comments deleted for good."
        ),
    )
    found.add_reader_data(
        ReaderData("comments", reader_data.erase, reader_data.export, reader_data.holds, order=100)
    )
    found.add_reader_data(
        ReaderData(
            "spam filter scores", spam_filter.erase_scores, spam_filter.export_scores, order=90
        )
    )
    # The keys of the browsers that confirmed the address: erased, they are strangers again.
    found.add_reader_data(ReaderData("commenter-keys", keys.erase, keys.export, keys.holds))
    found.add_admin_screen(
        AdminScreen(
            N_("Comments"),
            "moderation.comments",
            lambda e: e.startswith("moderation."),
            admin_only=False,
            count=pending,
            count_title=N_("{n} waiting for moderation"),
            order=60,
        )
    )
