"""issue15: the mail outbox, reply-notification subscriptions, used link nonces,
and the text before a reader's edit in the moderation log

Revision ID: c15a0e7b3d21
Revises: c4e8a2f61b93
Create Date: 2026-12-02 00:39:58.451927

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c15a0e7b3d21'
down_revision = 'c4e8a2f61b93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('moderation_events') as batch_op:
        batch_op.add_column(sa.Column('previous_body', sa.Text(), server_default='', nullable=False))
    op.create_table('mail_subscribers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmation_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_subscribers')),
    sa.UniqueConstraint('email', name=op.f('uq_mail_subscribers_email'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_kind_ref_status', ['kind', 'ref', 'status'], unique=False)
        batch_op.create_index('ix_outbox_status_next_attempt', ['status', 'next_attempt_at'], unique=False)

    op.create_table('used_tokens',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_used_tokens'))
    )
    op.create_table('mail_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_mail_subscriptions_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_mail_subscriptions_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['mail_subscribers.id'], name=op.f('fk_mail_subscriptions_subscriber_id_mail_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_subscriptions'))
    )
    with op.batch_alter_table('mail_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_subscriptions_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index('ix_mail_subscriptions_post_scope', ['post_id', 'scope'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_subscriptions_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('reply_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_reply_notices_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_reply_notices_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['mail_subscribers.id'], name=op.f('fk_reply_notices_subscriber_id_mail_subscribers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['mail_subscriptions.id'], name=op.f('fk_reply_notices_subscription_id_mail_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_notices')),
    sa.UniqueConstraint('subscriber_id', 'comment_id', name='uq_reply_notices_subscriber_comment')
    )
    with op.batch_alter_table('reply_notices', schema=None) as batch_op:
        batch_op.create_index('ix_reply_notices_subscriber_outbox', ['subscriber_id', 'outbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_notices_subscription_id'), ['subscription_id'], unique=False)



def downgrade():
    with op.batch_alter_table('moderation_events') as batch_op:
        batch_op.drop_column('previous_body')
    with op.batch_alter_table('reply_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_notices_subscription_id'))
        batch_op.drop_index('ix_reply_notices_subscriber_outbox')

    op.drop_table('reply_notices')
    with op.batch_alter_table('mail_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_subscriptions_subscriber_id'))
        batch_op.drop_index('ix_mail_subscriptions_post_scope')
        batch_op.drop_index(batch_op.f('ix_mail_subscriptions_comment_id'))

    op.drop_table('mail_subscriptions')
    op.drop_table('used_tokens')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_next_attempt')
        batch_op.drop_index('ix_outbox_kind_ref_status')

    op.drop_table('outbox')
    op.drop_table('mail_subscribers')
