-- Who writes in this transaction and through what (api, map, cli, import), and a note: read by
-- the audit triggers of the layers' tables and by the status history (migration 0402).
SELECT set_config('quyhoach.actor', :actor, true), set_config('quyhoach.via', :via, true),
       set_config('quyhoach.note', :note, true);
