-- The status history of one project or plan, in the order it took effect.
SELECT id, entity, entity_id, from_status, to_status, effective_on, recorded_at, recorded_by, note
FROM status_events
WHERE entity = :entity AND entity_id = :entity_id
ORDER BY effective_on, id
