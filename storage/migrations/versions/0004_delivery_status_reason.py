"""a delivery's last_error becomes status_reason: it holds wait reasons as well as errors

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("last_error", new_column_name="status_reason")


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("status_reason", new_column_name="last_error")
