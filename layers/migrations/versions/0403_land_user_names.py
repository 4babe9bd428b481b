"""Land users' names on the compensation plans (personal data: staff only, by the catalogue).

Revision ID: 0403
Revises: 0402
Create Date: 2026-12-02
"""

from alembic import op

revision = "0403"
down_revision = "0402"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
ALTER TABLE parcels ADD COLUMN land_user_name text
  CONSTRAINT parcels_land_user_name_check
  CHECK (land_user_name IS NULL OR length(btrim(land_user_name)) BETWEEN 1 AND 200)
""")


def downgrade() -> None:
    op.execute("ALTER TABLE parcels DROP COLUMN IF EXISTS land_user_name")
