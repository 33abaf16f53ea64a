"""issue36 reading counts: per post and day, views and distinct readers by language,
channel and referring domain; the open days' salts and reader hashes (deleted when the
day is over); how far each access log has been read

Revision ID: b36d5a1c7e20
Revises: b5e2d8f40c17
Create Date: 2026-12-06 23:26:14.039967

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b36d5a1c7e20'
down_revision = 'b5e2d8f40c17'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('salt', sa.LargeBinary(length=32), nullable=True),
    sa.Column('readers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_stats_days'))
    )
    op.create_table('stats_logs',
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('inode', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.BigInteger(), nullable=False),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('path', name=op.f('pk_stats_logs'))
    )
    op.create_table('stats_readers',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=16), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('robots', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'digest', name=op.f('pk_stats_readers'))
    )
    op.create_table('stats_hits',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=16), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('referrer', sa.String(length=253), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_stats_hits_post', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'digest', 'post_id', 'channel', 'referrer', name=op.f('pk_stats_hits'))
    )
    op.create_table('stats_post_days',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('readers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_stats_post_days_post', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'day', name=op.f('pk_stats_post_days'))
    )
    with op.batch_alter_table('stats_post_days', schema=None) as batch_op:
        batch_op.create_index('ix_stats_post_days_day', ['day'], unique=False)

    op.create_table('stats_sources',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('referrer', sa.String(length=253), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_stats_sources_post', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'day', 'channel', 'referrer', name=op.f('pk_stats_sources'))
    )
    with op.batch_alter_table('stats_sources', schema=None) as batch_op:
        batch_op.create_index('ix_stats_sources_day', ['day'], unique=False)



def downgrade():
    with op.batch_alter_table('stats_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_stats_sources_day')

    op.drop_table('stats_sources')
    with op.batch_alter_table('stats_post_days', schema=None) as batch_op:
        batch_op.drop_index('ix_stats_post_days_day')

    op.drop_table('stats_post_days')
    op.drop_table('stats_hits')
    op.drop_table('stats_readers')
    op.drop_table('stats_logs')
    op.drop_table('stats_days')
