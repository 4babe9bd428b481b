-- Record a status change: the event continues from the entity's latest status (the database
-- checks the rest and refreshes the stored status).
INSERT INTO status_events (entity, entity_id, from_status, to_status, effective_on, recorded_by,
                           note)
SELECT CAST(:entity AS text), CAST(:entity_id AS integer),
       (SELECT e.to_status FROM status_events e
        WHERE e.entity = CAST(:entity AS text) AND e.entity_id = CAST(:entity_id AS integer)
        ORDER BY e.effective_on DESC, e.id DESC LIMIT 1),
       :to_status, :effective_on, :recorded_by, :note
RETURNING id, entity, entity_id, from_status, to_status, effective_on, recorded_at, recorded_by,
          note
