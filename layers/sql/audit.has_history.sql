-- Whether status events of a project or plan are still kept (they outlive a deleted feature).
SELECT EXISTS (SELECT 1 FROM status_events WHERE entity = :entity AND entity_id = :entity_id);
