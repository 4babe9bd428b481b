-- One entry of the append-only audit log.
INSERT INTO audit_log (user_id, actor, via, layer, feature_id, operation, before, after,
                       restores, note)
VALUES (:user_id, :actor, :via, :layer, :feature_id, :operation, CAST(:before AS jsonb),
        CAST(:after AS jsonb), :restores, :note)
RETURNING id;
