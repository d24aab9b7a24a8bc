"""The engine's first schema: workflows, tags, executions, node runs, triggers, events,
idempotency keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_workflows_user_created", "workflows", ["user_id", "created_at", "id"])
    op.create_table(
        "workflow_tags",
        sa.Column(
            "workflow_id", sa.String(64),
            sa.ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True,
        ),
        sa.Column("tag", sa.String(64), primary_key=True, index=True),
    )  # fmt: skip
    op.create_table(
        "executions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column("workflow_id", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("trigger_data", sa.JSON(), nullable=False),
        sa.Column("trigger_id", sa.String(64), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "node_runs",
        sa.Column(
            "execution_id", sa.String(64),
            sa.ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True,
        ),
        sa.Column("node_id", sa.String(128), primary_key=True),
        sa.Column("run", sa.JSON(), nullable=False),
    )  # fmt: skip
    op.create_table(
        "triggers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column(
            "workflow_id", sa.String(64),
            sa.ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False, index=True,
        ),
        sa.Column("type", sa.String(16), nullable=False, index=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )  # fmt: skip
    op.create_table(
        "trigger_events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column(
            "trigger_id", sa.String(64),
            sa.ForeignKey("triggers.id", ondelete="CASCADE"), nullable=False, index=True,
        ),
        sa.Column("workflow_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=True),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
    )  # fmt: skip
    op.create_table(
        "idempotency",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("method", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(256), primary_key=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("idempotency", "trigger_events", "triggers", "node_runs", "executions",
                  "workflow_tags", "workflows"):  # fmt: skip
        op.drop_table(table)
