"""The blog's tables, as typed SQLAlchemy 2.x models, one module per feature.

Every name is re-exported here, so ``from blogapp.models import Post`` works
whichever module holds it; importing this package puts every table on
``db.metadata``. The package imports no feature package: only the extensions
and its own modules.

Rendered HTML (``*_html``) is produced by ``blogapp.sanitize`` when content is
written; views never render Markdown or sanitize."""

from blogapp.models.audit import (
    AuditAction,
    AuditEntry,
)
from blogapp.models.authors import (
    AuthorProfile,
    post_bylines,
)
from blogapp.models.base import (
    EPOCH,
    NEVER_REUSED,
    UTCDateTime,
    utcnow,
)
from blogapp.models.comment_safety import (
    REPORT_REASONS,
    CommenterKey,
    CommentReport,
    ReportReason,
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
    CorrectionKind,
    CorrectionVersion,
)
from blogapp.models.fediverse import (
    FederatedPost,
    FederationState,
    FediverseKey,
    Follower,
    FollowerStatus,
    Reaction,
    ReactionKind,
    RemoteActor,
)
from blogapp.models.link_previews import (
    LinkPreview,
    PreviewStatus,
)
from blogapp.models.media import (
    Media,
)
from blogapp.models.newsletter import (
    NEWSLETTER_LISTS,
    NewsletterIssue,
    NewsletterList,
    NewsletterSend,
    NewsletterStatus,
    NewsletterSubscriber,
)
from blogapp.models.outbox import (
    OutboxKind,
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
    CommentMode,
    ContentFormat,
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
    RevisionKind,
)
from blogapp.models.settings import (
    ErasureMode,
    Redirect,
    Setting,
)
from blogapp.models.spam_filter import (
    CommentSpamScore,
    SpamToken,
)
from blogapp.models.stats import (
    CHANNELS,
    StatsDay,
    StatsHit,
    StatsLog,
    StatsPostDay,
    StatsReader,
    StatsSource,
)
from blogapp.models.submissions import (
    Submission,
)
from blogapp.models.subscriptions import (
    SUBSCRIBE_POST,
    SUBSCRIBE_REPLIES,
    SUBSCRIPTION_SCOPES,
    MailSubscriber,
    MailSubscription,
    ReplyNotice,
    SubscriptionScope,
)
from blogapp.models.taxonomy import (
    Category,
    Tag,
    post_categories,
    post_tags,
)
from blogapp.models.telegram import (
    TelegramMessage,
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
    EDITOR_ROLES,
    ROLE_ADMIN,
    ROLE_AUTHOR,
    ROLE_CONTRIBUTOR,
    ROLE_EDITOR,
    ROLES,
    LoginSession,
    Passkey,
    RecoveryCode,
    Role,
    TwoFactor,
    User,
)

__all__ = [
    "EPOCH",
    "utcnow",
    "UTCDateTime",
    "NEVER_REUSED",
    "Role",
    "ROLE_EDITOR",
    "ROLE_ADMIN",
    "ROLES",
    "ROLE_CONTRIBUTOR",
    "ROLE_AUTHOR",
    "EDITOR_ROLES",
    "User",
    "LoginSession",
    "TwoFactor",
    "RecoveryCode",
    "Passkey",
    "AuthorProfile",
    "post_bylines",
    "post_categories",
    "post_tags",
    "Category",
    "Tag",
    "PostStatus",
    "CommentMode",
    "ContentFormat",
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
    "CommenterKey",
    "CommentReport",
    "ReportReason",
    "REPORT_REASONS",
    "Media",
    "ErasureMode",
    "Setting",
    "Redirect",
    "ThrottleHit",
    "UsedToken",
    "OutboxStatus",
    "OutboxKind",
    "OutboxMessage",
    "Submission",
    "MailSubscriber",
    "SubscriptionScope",
    "SUBSCRIBE_REPLIES",
    "SUBSCRIBE_POST",
    "SUBSCRIPTION_SCOPES",
    "MailSubscription",
    "ReplyNotice",
    "NewsletterList",
    "NEWSLETTER_LISTS",
    "NewsletterStatus",
    "NewsletterSubscriber",
    "NewsletterIssue",
    "NewsletterSend",
    "RevisionKind",
    "REVISION_SAVE",
    "REVISION_AUTOSAVE",
    "REVISION_RESTORE",
    "REVISION_IMPORT",
    "REVISION_KINDS",
    "Revision",
    "PreviewKey",
    "CorrectionKind",
    "CORRECTION",
    "UPDATE_NOTE",
    "CORRECTION_KINDS",
    "Correction",
    "CorrectionVersion",
    "PostTranslation",
    "TelegramMessage",
    "LinkPreview",
    "PreviewStatus",
    "FollowerStatus",
    "FederationState",
    "ReactionKind",
    "FediverseKey",
    "RemoteActor",
    "Follower",
    "SpamToken",
    "CommentSpamScore",
    "FederatedPost",
    "Reaction",
    "AuditAction",
    "AuditEntry",
    "CHANNELS",
    "StatsDay",
    "StatsReader",
    "StatsHit",
    "StatsPostDay",
    "StatsSource",
    "StatsLog",
]
