-- Projects and plans whose stored status (and plan step dates) differ from their status history.
SELECT
  (SELECT count(*)
   FROM parcels pa LEFT JOIN plan_states('infinity') s ON s.parcel_id = pa.id
   WHERE (pa.status, pa.drafted_on, pa.published_on, pa.approved_on, pa.paid_on, pa.handed_over_on)
         IS DISTINCT FROM
         (s.status, s.drafted_on, s.published_on, s.approved_on, s.paid_on, s.handed_over_on))
    AS plans,
  (SELECT count(*)
   FROM projects p LEFT JOIN project_states('infinity') s ON s.project_id = p.id
   WHERE (p.status, p.completed_on) IS DISTINCT FROM (s.status, s.completed_on))
    AS projects
