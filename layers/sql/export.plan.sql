-- The 1/2000 plan an export shows underneath: what its source note names and where its file lies.
SELECT p.id, p.name, p.decision, p.approved_on, p.kind, p.file_path
FROM plans p
WHERE p.id = :plan_id;
