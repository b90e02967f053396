"""a claim remembers the article it came from

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("article_link", sa.Text(), nullable=True))
        batch.add_column(sa.Column("article_title", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("article_date", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("article_date")
        batch.drop_column("article_title")
        batch.drop_column("article_link")
