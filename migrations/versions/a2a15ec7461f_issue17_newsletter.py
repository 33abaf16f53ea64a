"""issue17: the newsletter: subscribers with their lists, posts sent, one row per post and subscriber

Revision ID: a2a15ec7461f
Revises: d19f2a7c4e10
Create Date: 2026-12-02 02:00:53.556209

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2a15ec7461f'
down_revision = 'd19f2a7c4e10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsletter_subscribers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('lists', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmation_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_subscribers')),
    sa.UniqueConstraint('email', name=op.f('uq_newsletter_subscribers_email'))
    )
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.create_index('ix_newsletter_subscribers_status_lists', ['status', 'lists'], unique=False)

    op.create_table('newsletter_issues',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_newsletter_issues_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_newsletter_issues'))
    )
    op.create_table('newsletter_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_newsletter_sends_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_newsletter_sends_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['newsletter_subscribers.id'], name=op.f('fk_newsletter_sends_subscriber_id_newsletter_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_sends')),
    sa.UniqueConstraint('post_id', 'subscriber_id', name='uq_newsletter_sends_post_subscriber')
    )
    with op.batch_alter_table('newsletter_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_sends_subscriber_id'), ['subscriber_id'], unique=False)



def downgrade():
    with op.batch_alter_table('newsletter_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_sends_subscriber_id'))

    op.drop_table('newsletter_sends')
    op.drop_table('newsletter_issues')
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.drop_index('ix_newsletter_subscribers_status_lists')

    op.drop_table('newsletter_subscribers')
