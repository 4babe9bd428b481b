-- One entry of the audit log, and whether a later entry already restored it.
SELECT a.id, a.layer, a.feature_id, a.operation, a.before::text AS before,
       EXISTS (SELECT 1 FROM audit_log r WHERE r.restores = a.id) AS restored
FROM audit_log a
WHERE a.id = :id;
