-- Remove the sample plans (only those) before the sample is loaded again.
DELETE FROM plans WHERE is_sample RETURNING file_path;
