"""spam_filter_tokens, comment_spam_scores: the learning spam filter (issue 33)

Revision ID: b5e2d8f40c17
Revises: b37c0a5e1d42
Create Date: 2026-12-06 23:40:00

The filter's feature counts, shared by every worker, and each comment's score.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e2d8f40c17'
down_revision = 'b37c0a5e1d42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spam_filter_tokens',
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('spam', sa.Integer(), nullable=False),
    sa.Column('ham', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_spam_filter_tokens')),
    sqlite_with_rowid=False
    )
    op.create_table('comment_spam_scores',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('weighed', sa.String(length=600), nullable=False),
    sa.Column('signals', sa.String(length=200), nullable=False),
    sa.Column('trained', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_spam_scores_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_comment_spam_scores'))
    )


def downgrade():
    op.drop_table('comment_spam_scores')
    op.drop_table('spam_filter_tokens')
