"""Programme targets: what a district's programme sets out to reach, kept as data.

A programme (e.g. Hai Bà Trưng's 2011–2015 programme 12-CTr/QU) holds for a period and sets
targets on indicators the infrastructure report measures from the layers. A target is a lower
bound, an upper bound or both (1 to 3 ha); `ward` narrows it to one ward, and `param` carries
the indicator's own parameter (the least alley width a lighting target covers). A row without
bounds declares a measure the programme reported on, without a target.

Revision ID: 0201
Revises: 0003
Create Date: 2026-12-02
"""

from alembic import op

revision = "0201"
down_revision = "0003"
branch_labels = ("programme",)
depends_on = None

INDICATORS = (
    "permit_rate_pct",            # constructions started with a building permit, % of all
    "violations_controlled_pct",  # violations (no permit, not as permitted) handled, %
    "green_water_added_ha",       # green space and water surface opened in the period, ha
    "schools_national_standard",  # schools reaching the national standard in the period
    "new_schools",                # new schools completed in the period
    "health_stations",            # health stations completed in the period (in `ward`)
    "alleys_lit_pct",             # length of alleys at least `param` m wide that is lit, %
)

UPGRADE = f"""
CREATE TABLE programme_targets (
  id           serial PRIMARY KEY,
  programme    text NOT NULL CHECK (btrim(programme) <> ''),
  title_vi     text NOT NULL CHECK (btrim(title_vi) <> ''),
  title_en     text NOT NULL CHECK (btrim(title_en) <> ''),
  district     text NOT NULL CHECK (district ~ '^[a-z0-9-]+$'),
  period_from  date NOT NULL,
  period_to    date NOT NULL CHECK (period_to >= period_from),
  indicator    text NOT NULL CHECK (indicator IN ({", ".join(f"'{i}'" for i in INDICATORS)})),
  ward         text CHECK (ward IS NULL OR btrim(ward) <> ''),
  param        numeric CHECK (param IS NULL OR param > 0),
  target_min   numeric CHECK (target_min IS NULL OR target_min >= 0),
  target_max   numeric CHECK (target_max IS NULL OR target_max >= 0),
  CHECK (target_min IS NULL OR target_max IS NULL OR target_min <= target_max),
  CHECK (indicator <> 'alleys_lit_pct' OR param IS NOT NULL),
  UNIQUE NULLS NOT DISTINCT (programme, indicator, ward, param)
);
CREATE INDEX programme_targets_district_idx ON programme_targets (district, period_from, period_to);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS programme_targets")
