"""author_profiles and post_bylines: writers without accounts, several bylines (issue 37)

Revision ID: b37c0a5e1d42
Revises: b8d4e2f60a17
Create Date: 2026-12-06 23:45:00

Every account that wrote a post gets a profile linked to it, named as the account
is (an empty display name stays empty: the byline shows the slug, as it showed the
login), with the login as its slug when the login is fit for a URL; each post's
author becomes its one byline. ``posts.author_id`` stays: the admin's "written by".
"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b37c0a5e1d42'
down_revision = 'b8d4e2f60a17'
branch_labels = None
depends_on = None

URL_SAFE = re.compile(r"[A-Za-z0-9._-]{1,200}")


def upgrade():
    op.create_table('author_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=250), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('affiliation', sa.String(length=250), nullable=False),
    sa.Column('disclosure', sa.String(length=500), nullable=False),
    sa.Column('same_as', sa.Text(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('is_pen_name', sa.Boolean(), nullable=False),
    sa.Column('wp_login', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['media.id'], name=op.f('fk_author_profiles_photo_id_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_author_profiles_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author_profiles')),
    sa.UniqueConstraint('slug', name=op.f('uq_author_profiles_slug')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('author_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_author_profiles_user_id'), ['user_id'], unique=False)
    op.create_table('post_bylines',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['author_profiles.id'], name=op.f('fk_post_bylines_author_id_author_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_bylines_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'author_id', name=op.f('pk_post_bylines'))
    )
    with op.batch_alter_table('post_bylines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_bylines_author_id'), ['author_id'], unique=False)
    _profiles_from_accounts()


def _profiles_from_accounts():
    bind = op.get_bind()
    users = sa.table('users', sa.column('id'), sa.column('login'), sa.column('display_name'),
                     sa.column('created_at'))
    posts = sa.table('posts', sa.column('id'), sa.column('author_id'))
    profiles = sa.table('author_profiles', sa.column('id'), sa.column('slug'), sa.column('name'),
                        sa.column('names', sa.JSON()), sa.column('bio'), sa.column('affiliation'),
                        sa.column('disclosure'), sa.column('same_as'), sa.column('user_id'),
                        sa.column('is_pen_name'), sa.column('wp_login'),
                        sa.column('created_at'))
    bylines = sa.table('post_bylines', sa.column('post_id'), sa.column('author_id'),
                       sa.column('position'))
    writers = bind.execute(
        sa.select(users.c.id, users.c.login, users.c.display_name, users.c.created_at)
        .where(users.c.id.in_(sa.select(posts.c.author_id).where(posts.c.author_id.isnot(None))))
        .order_by(users.c.id)
    ).all()
    taken = set()
    for user_id, login, display_name, created_at in writers:
        slug = login if URL_SAFE.fullmatch(login or "") else f"author-{user_id}"
        while slug.lower() in taken:
            slug = f"{slug}-{user_id}"
        taken.add(slug.lower())
        profile_id = bind.execute(
            profiles.insert().values(
                slug=slug, name=(display_name or "").strip(), names={}, bio="", affiliation="",
                disclosure="", same_as="", user_id=user_id, is_pen_name=False, wp_login="",
                created_at=created_at,
            ).returning(profiles.c.id)
        ).scalar_one()
        bind.execute(
            bylines.insert().from_select(
                ['post_id', 'author_id', 'position'],
                sa.select(posts.c.id, sa.literal(profile_id), sa.literal(0))
                .where(posts.c.author_id == user_id),
            )
        )


def downgrade():
    with op.batch_alter_table('post_bylines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_bylines_author_id'))
    op.drop_table('post_bylines')
    with op.batch_alter_table('author_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_author_profiles_user_id'))
    op.drop_table('author_profiles')
