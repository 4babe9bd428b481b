-- Entries of the audit log, newest first, filtered by layer, feature, account and period (days
-- in the service's time zone, both included); one JSON document.
WITH e AS (
  SELECT a.*
  FROM audit_log a
  WHERE (CAST(:layer AS text) IS NULL OR a.layer = CAST(:layer AS text))
    AND (CAST(:feature_id AS bigint) IS NULL OR a.feature_id = CAST(:feature_id AS bigint))
    AND (CAST(:actor AS text) IS NULL OR lower(a.actor) = lower(CAST(:actor AS text)))
    AND (CAST(:date_from AS date) IS NULL OR a.at >= CAST(:date_from AS date))
    AND (CAST(:date_to AS date) IS NULL OR a.at < CAST(:date_to AS date) + 1)
  ORDER BY a.id DESC
  LIMIT :limit OFFSET :offset
)
SELECT json_build_object(
  'numberReturned', (SELECT count(*) FROM e),
  'entries', coalesce((SELECT json_agg(json_build_object(
      'id', e.id, 'at', e.at, 'user', e.actor, 'user_id', e.user_id, 'via', e.via,
      'layer', e.layer, 'feature_id', e.feature_id, 'operation', e.operation,
      'before', e.before, 'after', e.after, 'restores', e.restores, 'note', e.note)
    ORDER BY e.id DESC) FROM e), '[]'::json)
)::text;
