-- The derived state of the given child-incidents.
select id, state, reason, notification_id, notification_status
from child_state($home, $ehe_email, $ehe_name)
where id in (select unnest($ids::integer[]))
