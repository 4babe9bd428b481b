-- The state of one project or plan on a day, derived from its status history.
SELECT CAST(:entity AS text) AS entity, s.*
FROM (
  SELECT ps.status, NULL::date AS completed_on, ps.drafted_on, ps.published_on, ps.approved_on,
         ps.paid_on, ps.handed_over_on
  FROM plan_states(:day) ps
  WHERE CAST(:entity AS text) = 'plan' AND ps.parcel_id = :entity_id
  UNION ALL
  SELECT pj.status, pj.completed_on, NULL, NULL, NULL, NULL, NULL
  FROM project_states(:day) pj
  WHERE CAST(:entity AS text) = 'project' AND pj.project_id = :entity_id
) s
