-- The audit entry a restore puts back ('' when done): its insert is logged as a `restore`.
SELECT set_config('quyhoach.restores', :entry, true);
