"""Status history: append-only status events of clearance projects and compensation plans.

Every change of a project's or a plan's status is a row of `status_events`; the database refuses
to update or delete one. The status columns of `projects` and `parcels` (and the plans' step
dates) stay as a cache of the latest state, kept by triggers, so tiles, indexes and CHECK
constraints keep working unchanged:

- inserting events updates the cache of their entities (and so bumps the layers' versions);
- inserting projects or parcels records their initial state as events;
- a direct UPDATE of a status that moves forward is recorded as events; one that would rewrite
  the past (a date of an earlier step, a plan going backwards) is refused.

`plan_states(day)` and `project_states(day)` derive the state on any day from the events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PLAN_STEPS = "ARRAY['drafted', 'published', 'approved', 'paid', 'handed_over']"
PROJECT_STATUSES = "('planned', 'in_progress', 'completed', 'suspended')"

# The history a row brings along when it has none: one event per plan step reached (dated by the
# step, or by the next known step); a project planned, or started and then completed/suspended.
INITIAL_PLAN_EVENTS = """
INSERT INTO status_events (entity, entity_id, from_status, to_status, effective_on, note)
SELECT 'plan', n.id, lag(st.status) OVER (PARTITION BY n.id ORDER BY st.step), st.status, st.day,
       '{note}'
FROM {rows} n
CROSS JOIN LATERAL (VALUES
  (1, 'drafted', coalesce(n.drafted_on, n.published_on, n.approved_on, n.paid_on,
                          n.handed_over_on, current_date)),
  (2, 'published', coalesce(n.published_on, n.approved_on, n.paid_on, n.handed_over_on,
                            current_date)),
  (3, 'approved', coalesce(n.approved_on, n.paid_on, n.handed_over_on, current_date)),
  (4, 'paid', coalesce(n.paid_on, n.handed_over_on, current_date)),
  (5, 'handed_over', coalesce(n.handed_over_on, current_date))) st(step, status, day)
WHERE st.step <= plan_step(n.status)
ORDER BY n.id, st.step;
"""
INITIAL_PROJECT_EVENTS = """
INSERT INTO status_events (entity, entity_id, from_status, to_status, effective_on, note)
SELECT 'project', n.id, lag(st.status) OVER (PARTITION BY n.id ORDER BY st.step), st.status,
       st.day, '{note}'
FROM {rows} n
CROSS JOIN LATERAL (VALUES
  (1, CASE WHEN n.status = 'planned' THEN 'planned' ELSE 'in_progress' END,
      CASE WHEN n.status = 'planned' THEN current_date
           ELSE coalesce(n.started_on, n.completed_on, current_date) END),
  (2, n.status, CASE WHEN n.status = 'completed' THEN n.completed_on
                     ELSE greatest(coalesce(n.started_on, current_date), current_date) END)
) st(step, status, day)
WHERE st.step = 1 OR n.status IN ('completed', 'suspended')
ORDER BY n.id, st.step;
"""
ADDED = "Trạng thái khi thêm vào lớp dữ liệu / state when added"
BEGAN = "Trạng thái khi bắt đầu ghi lịch sử / state when the history began"

UPGRADE = f"""
CREATE TABLE status_events (
  id            bigserial PRIMARY KEY,
  entity        text NOT NULL CHECK (entity IN ('project', 'plan')),
  entity_id     integer NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  effective_on  date NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  recorded_by   text NOT NULL DEFAULT current_user CHECK (btrim(recorded_by) <> ''),
  note          text,
  CHECK (from_status IS DISTINCT FROM to_status),
  CHECK (CASE entity
           WHEN 'project' THEN to_status IN {PROJECT_STATUSES}
                               AND (from_status IS NULL OR from_status IN {PROJECT_STATUSES})
           ELSE to_status = ANY ({PLAN_STEPS})
                AND (from_status IS NULL OR from_status = ANY ({PLAN_STEPS}))
         END)
);
CREATE INDEX status_events_entity_idx ON status_events (entity, entity_id, effective_on, id);
CREATE INDEX status_events_effective_idx ON status_events (entity, effective_on);

CREATE FUNCTION plan_step(status text) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT array_position({PLAN_STEPS}, status) $$;

-- The sample loader replaces the whole history at once (SET LOCAL quyhoach.loading_history).
CREATE FUNCTION history_loading() RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT coalesce(current_setting('quyhoach.loading_history', true), '') = 'on' $$;

-- The state of every plan on a day: plans only move forward, so a step's date is the first
-- event that reached it (or a later step, when one was skipped).
CREATE FUNCTION plan_states(as_of date)
  RETURNS TABLE (parcel_id integer, status text, drafted_on date, published_on date,
                 approved_on date, paid_on date, handed_over_on date)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT e.entity_id,
         ({PLAN_STEPS})[max(plan_step(e.to_status))],
         min(e.effective_on),
         min(e.effective_on) FILTER (WHERE plan_step(e.to_status) >= 2),
         min(e.effective_on) FILTER (WHERE plan_step(e.to_status) >= 3),
         min(e.effective_on) FILTER (WHERE plan_step(e.to_status) >= 4),
         min(e.effective_on) FILTER (WHERE plan_step(e.to_status) >= 5)
  FROM status_events e
  WHERE e.entity = 'plan' AND e.effective_on <= as_of
  GROUP BY e.entity_id
$$;

-- The state of every project on a day: its latest event then.
CREATE FUNCTION project_states(as_of date)
  RETURNS TABLE (project_id integer, status text, completed_on date)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT DISTINCT ON (e.entity_id) e.entity_id, e.to_status,
         CASE WHEN e.to_status = 'completed' THEN e.effective_on END
  FROM status_events e
  WHERE e.entity = 'project' AND e.effective_on <= as_of
  ORDER BY e.entity_id, e.effective_on DESC, e.id DESC
$$;

CREATE FUNCTION status_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'Lịch sử trạng thái chỉ được ghi thêm, không được sửa hay xóa (%) / '
                  'Status history is append-only: % of an event is refused', TG_OP, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE FUNCTION status_events_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT history_loading() THEN
    RAISE EXCEPTION 'Lịch sử trạng thái chỉ được ghi thêm, không được xóa / '
                    'Status history is append-only: TRUNCATE is refused'
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NULL;
END $$;

-- An event continues its entity's history: from its latest status, not before its latest date,
-- plans only forward. Events written by the layers' own triggers are correct by construction.
CREATE FUNCTION status_events_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last status_events%ROWTYPE;
BEGIN
  IF pg_trigger_depth() > 1 THEN
    RETURN NEW;
  END IF;
  IF NEW.entity = 'project' THEN
    PERFORM 1 FROM projects WHERE id = NEW.entity_id;
  ELSE
    PERFORM 1 FROM parcels WHERE id = NEW.entity_id;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Không có % id % / No % with id %',
      CASE NEW.entity WHEN 'project' THEN 'dự án' ELSE 'phương án' END, NEW.entity_id,
      NEW.entity, NEW.entity_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT * INTO last FROM status_events
  WHERE entity = NEW.entity AND entity_id = NEW.entity_id
  ORDER BY effective_on DESC, id DESC LIMIT 1;
  IF NEW.from_status IS DISTINCT FROM last.to_status THEN
    RAISE EXCEPTION 'Trạng thái hiện tại là %, không phải % / The current status is %, not %',
      coalesce(last.to_status, '—'), coalesce(NEW.from_status, '—'),
      coalesce(last.to_status, '—'), coalesce(NEW.from_status, '—')
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.effective_on < last.effective_on THEN
    RAISE EXCEPTION 'Ngày hiệu lực % trước sự kiện gần nhất (%) / '
                    'Effective date % is before the latest event (%)',
      NEW.effective_on, last.effective_on, NEW.effective_on, last.effective_on
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.entity = 'plan' AND plan_step(NEW.to_status) <= coalesce(plan_step(NEW.from_status), 0) THEN
    RAISE EXCEPTION 'Phương án chỉ đi tiếp các bước, không quay lại (% → %) / '
                    'A plan only moves forward (% → %)',
      NEW.from_status, NEW.to_status, NEW.from_status, NEW.to_status
      USING ERRCODE = 'check_violation';
  END IF;
  IF NOT history_loading() THEN
    NEW.recorded_at := now();
    IF NEW.effective_on > current_date THEN
      RAISE EXCEPTION 'Ngày hiệu lực % ở tương lai / Effective date % is in the future',
        NEW.effective_on, NEW.effective_on
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;

-- New events refresh the cached state of their projects and plans.
CREATE FUNCTION status_events_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() > 1 OR history_loading() THEN
    RETURN NULL;
  END IF;
  UPDATE parcels pa
  SET status = s.status, drafted_on = s.drafted_on, published_on = s.published_on,
      approved_on = s.approved_on, paid_on = s.paid_on, handed_over_on = s.handed_over_on
  FROM plan_states('infinity') s
  WHERE s.parcel_id = pa.id
    AND pa.id IN (SELECT entity_id FROM new_events WHERE entity = 'plan')
    AND (pa.status, pa.drafted_on, pa.published_on, pa.approved_on, pa.paid_on, pa.handed_over_on)
        IS DISTINCT FROM
        (s.status, s.drafted_on, s.published_on, s.approved_on, s.paid_on, s.handed_over_on);
  UPDATE projects p
  SET status = s.status, completed_on = s.completed_on
  FROM project_states('infinity') s
  WHERE s.project_id = p.id
    AND p.id IN (SELECT entity_id FROM new_events WHERE entity = 'project')
    AND (p.status, p.completed_on) IS DISTINCT FROM (s.status, s.completed_on);
  RETURN NULL;
END $$;

-- Rows inserted with a status (an import) bring their history along: one event per step reached.
CREATE FUNCTION parcels_history_from_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF history_loading() THEN
    RETURN NULL;
  END IF;
  {INITIAL_PLAN_EVENTS.format(rows="new_rows", note=ADDED)}
  RETURN NULL;
END $$;

CREATE FUNCTION projects_history_from_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF history_loading() THEN
    RETURN NULL;
  END IF;
  {INITIAL_PROJECT_EVENTS.format(rows="new_rows", note=ADDED)}
  RETURN NULL;
END $$;

-- Emptying projects or parcels (replacing a whole data set) restarts the history from the rows
-- left, so no event outlives its entity and reused ids start clean.
CREATE FUNCTION history_restart() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF history_loading() THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('quyhoach.loading_history', 'on', true);
  TRUNCATE status_events RESTART IDENTITY;
  PERFORM set_config('quyhoach.loading_history', 'off', true);
  {INITIAL_PROJECT_EVENTS.format(rows="projects", note=BEGAN)}
  {INITIAL_PLAN_EVENTS.format(rows="parcels", note=BEGAN)}
  RETURN NULL;
END $$;

-- A direct UPDATE of a plan's status is recorded as events when it only adds steps.
CREATE FUNCTION parcels_history_from_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  steps text[] := {PLAN_STEPS};
  old_step integer := plan_step(OLD.status);
  new_step integer := plan_step(NEW.status);
  old_dates date[] := ARRAY[OLD.drafted_on, OLD.published_on, OLD.approved_on, OLD.paid_on,
                            OLD.handed_over_on];
  new_dates date[] := ARRAY[NEW.drafted_on, NEW.published_on, NEW.approved_on, NEW.paid_on,
                            NEW.handed_over_on];
  last_on date;
  prev text := OLD.status;
  day date;
BEGIN
  IF pg_trigger_depth() > 1 OR history_loading() THEN
    RETURN NULL;
  END IF;
  IF new_step < old_step
     OR old_dates[1:old_step] IS DISTINCT FROM new_dates[1:old_step]
     OR old_dates[new_step + 1:5] IS DISTINCT FROM new_dates[new_step + 1:5] THEN
    RAISE EXCEPTION 'Phương án %: không sửa được trạng thái hay ngày đã qua; hãy ghi một sự kiện '
                    'trạng thái mới / plan %: past statuses and dates cannot be rewritten; record '
                    'a new status event', NEW.code, NEW.code
      USING ERRCODE = 'restrict_violation';
  END IF;
  SELECT max(effective_on) INTO last_on FROM status_events
  WHERE entity = 'plan' AND entity_id = NEW.id;
  FOR s IN old_step + 1 .. new_step LOOP
    day := coalesce(new_dates[s], current_date);
    IF day < last_on THEN
      RAISE EXCEPTION 'Phương án %: ngày % trước sự kiện gần nhất (%) / plan %: % is before the '
                      'latest event (%)', NEW.code, day, last_on, NEW.code, day, last_on
        USING ERRCODE = 'restrict_violation';
    END IF;
    INSERT INTO status_events (entity, entity_id, from_status, to_status, effective_on, note)
    VALUES ('plan', NEW.id, prev, steps[s], day, 'Cập nhật trực tiếp / direct update');
    prev := steps[s];
    last_on := day;
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION projects_history_from_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_on date;
  day date;
BEGIN
  IF pg_trigger_depth() > 1 OR history_loading() THEN
    RETURN NULL;
  END IF;
  IF OLD.status = NEW.status THEN
    RAISE EXCEPTION 'Dự án %: không sửa được ngày hoàn thành đã ghi; hãy ghi một sự kiện trạng '
                    'thái mới / project %: the recorded completion date cannot be rewritten; '
                    'record a new status event', NEW.code, NEW.code
      USING ERRCODE = 'restrict_violation';
  END IF;
  SELECT max(effective_on) INTO last_on FROM status_events
  WHERE entity = 'project' AND entity_id = NEW.id;
  day := CASE
    WHEN NEW.status = 'completed' THEN NEW.completed_on
    WHEN NEW.status = 'in_progress' AND OLD.status = 'planned'
      THEN least(coalesce(NEW.started_on, current_date), current_date)
    ELSE current_date END;
  IF day < last_on THEN
    RAISE EXCEPTION 'Dự án %: ngày % trước sự kiện gần nhất (%) / project %: % is before the '
                    'latest event (%)', NEW.code, day, last_on, NEW.code, day, last_on
      USING ERRCODE = 'restrict_violation';
  END IF;
  INSERT INTO status_events (entity, entity_id, from_status, to_status, effective_on, note)
  VALUES ('project', NEW.id, OLD.status, NEW.status, day, 'Cập nhật trực tiếp / direct update');
  RETURN NULL;
END $$;

CREATE TRIGGER status_events_append_only BEFORE UPDATE OR DELETE ON status_events
  FOR EACH ROW EXECUTE FUNCTION status_events_refuse_change();
CREATE TRIGGER status_events_no_truncate BEFORE TRUNCATE ON status_events
  FOR EACH STATEMENT EXECUTE FUNCTION status_events_refuse_truncate();
CREATE TRIGGER status_events_check BEFORE INSERT ON status_events
  FOR EACH ROW EXECUTE FUNCTION status_events_check();
CREATE TRIGGER status_events_apply AFTER INSERT ON status_events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION status_events_apply();

CREATE TRIGGER parcels_history_insert AFTER INSERT ON parcels
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION parcels_history_from_insert();
CREATE TRIGGER projects_history_insert AFTER INSERT ON projects
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION projects_history_from_insert();
CREATE TRIGGER parcels_history_update AFTER UPDATE ON parcels
  FOR EACH ROW
  WHEN ((OLD.status, OLD.drafted_on, OLD.published_on, OLD.approved_on, OLD.paid_on,
         OLD.handed_over_on)
        IS DISTINCT FROM
        (NEW.status, NEW.drafted_on, NEW.published_on, NEW.approved_on, NEW.paid_on,
         NEW.handed_over_on))
  EXECUTE FUNCTION parcels_history_from_update();
CREATE TRIGGER projects_history_update AFTER UPDATE ON projects
  FOR EACH ROW
  WHEN ((OLD.status, OLD.completed_on) IS DISTINCT FROM (NEW.status, NEW.completed_on))
  EXECUTE FUNCTION projects_history_from_update();

CREATE TRIGGER projects_history_restart AFTER TRUNCATE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION history_restart();
CREATE TRIGGER parcels_history_restart AFTER TRUNCATE ON parcels
  FOR EACH STATEMENT EXECUTE FUNCTION history_restart();

-- Existing rows start their history with their current state.
{INITIAL_PROJECT_EVENTS.format(rows="projects", note=BEGAN)}
{INITIAL_PLAN_EVENTS.format(rows="parcels", note=BEGAN)}
"""

FUNCTIONS = [
    "status_events_refuse_change()", "status_events_refuse_truncate()", "status_events_check()",
    "status_events_apply()", "parcels_history_from_insert()", "projects_history_from_insert()",
    "parcels_history_from_update()", "projects_history_from_update()", "plan_states(date)",
    "project_states(date)", "history_restart()", "history_loading()", "plan_step(text)",
]


def upgrade() -> None:
    # Sent to the driver as written, without parameters: the PL/pgSQL holds colons (array
    # slices) and percent signs (RAISE placeholders).
    raw = op.get_bind().connection.driver_connection
    raw.execute(UPGRADE)


def downgrade() -> None:
    for table, trigger in [("parcels", "parcels_history_insert"),
                           ("projects", "projects_history_insert"),
                           ("parcels", "parcels_history_restart"),
                           ("projects", "projects_history_restart"),
                           ("parcels", "parcels_history_update"),
                           ("projects", "projects_history_update")]:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute("DROP TABLE IF EXISTS status_events")
    for fn in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
