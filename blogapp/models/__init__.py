"""The blog's tables, as typed SQLAlchemy 2.x models, one module per feature.

Every name is re-exported here, so ``from blogapp.models import Post`` works
whichever module holds it; importing this package puts every table on
``db.metadata``. The package imports no feature package: only the extensions
and its own modules.

Rendered HTML (``*_html``) is produced by ``blogapp.sanitize`` when content is
written; views never render Markdown or sanitize."""

from blogapp.models.audit import (
    AuditEntry,
)
from blogapp.models.base import (
    EPOCH,
    NEVER_REUSED,
    UTCDateTime,
    utcnow,
)
from blogapp.models.comments import (
    Comment,
    CommentStatus,
    ModerationEvent,
)
from blogapp.models.corrections import (
    CORRECTION,
    CORRECTION_KINDS,
    UPDATE_NOTE,
    Correction,
    CorrectionVersion,
)
from blogapp.models.fediverse import (
    FederatedPost,
    FediverseKey,
    Follower,
    FollowerStatus,
    Reaction,
    RemoteActor,
)
from blogapp.models.media import (
    Media,
)
from blogapp.models.newsletter import (
    NEWSLETTER_LISTS,
    NewsletterIssue,
    NewsletterSend,
    NewsletterStatus,
    NewsletterSubscriber,
)
from blogapp.models.outbox import (
    OutboxMessage,
    OutboxStatus,
)
from blogapp.models.posts import (
    COMMENT_MODES,
    COMMENTS_CLOSED,
    COMMENTS_MODERATED,
    COMMENTS_OPEN,
    CONTENT_FORMATS,
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    Page,
    Post,
    PostStatus,
)
from blogapp.models.revisions import (
    REVISION_AUTOSAVE,
    REVISION_IMPORT,
    REVISION_KINDS,
    REVISION_RESTORE,
    REVISION_SAVE,
    PreviewKey,
    Revision,
)
from blogapp.models.settings import (
    Redirect,
    Setting,
)
from blogapp.models.subscriptions import (
    SUBSCRIBE_POST,
    SUBSCRIBE_REPLIES,
    SUBSCRIPTION_SCOPES,
    MailSubscriber,
    MailSubscription,
    ReplyNotice,
)
from blogapp.models.taxonomy import (
    Category,
    Tag,
    post_categories,
    post_tags,
)
from blogapp.models.throttle import (
    ThrottleHit,
)
from blogapp.models.tokens import (
    UsedToken,
)
from blogapp.models.translations import (
    PostTranslation,
)
from blogapp.models.users import (
    ROLE_ADMIN,
    ROLE_EDITOR,
    ROLES,
    LoginSession,
    Passkey,
    RecoveryCode,
    TwoFactor,
    User,
)

__all__ = [
    "EPOCH",
    "utcnow",
    "UTCDateTime",
    "NEVER_REUSED",
    "ROLE_EDITOR",
    "ROLE_ADMIN",
    "ROLES",
    "User",
    "LoginSession",
    "TwoFactor",
    "RecoveryCode",
    "Passkey",
    "post_categories",
    "post_tags",
    "Category",
    "Tag",
    "PostStatus",
    "COMMENTS_OPEN",
    "COMMENTS_MODERATED",
    "COMMENTS_CLOSED",
    "COMMENT_MODES",
    "FORMAT_MARKDOWN",
    "FORMAT_HTML",
    "CONTENT_FORMATS",
    "Post",
    "Page",
    "CommentStatus",
    "Comment",
    "ModerationEvent",
    "Media",
    "Setting",
    "Redirect",
    "ThrottleHit",
    "UsedToken",
    "OutboxStatus",
    "OutboxMessage",
    "MailSubscriber",
    "SUBSCRIBE_REPLIES",
    "SUBSCRIBE_POST",
    "SUBSCRIPTION_SCOPES",
    "MailSubscription",
    "ReplyNotice",
    "NEWSLETTER_LISTS",
    "NewsletterStatus",
    "NewsletterSubscriber",
    "NewsletterIssue",
    "NewsletterSend",
    "REVISION_SAVE",
    "REVISION_AUTOSAVE",
    "REVISION_RESTORE",
    "REVISION_IMPORT",
    "REVISION_KINDS",
    "Revision",
    "PreviewKey",
    "CORRECTION",
    "UPDATE_NOTE",
    "CORRECTION_KINDS",
    "Correction",
    "CorrectionVersion",
    "PostTranslation",
    "FollowerStatus",
    "FediverseKey",
    "RemoteActor",
    "Follower",
    "FederatedPost",
    "Reaction",
    "AuditEntry",
]
