-- Notifications waiting now that have no one to send to (no Key Contact or Deputy, no LA lead, no EHE officer).
select count(*) as blocked
from notifications n
left join routes($home, $ehe_email, $ehe_name) r on r.target = n.target
where n.status in ('queued', 'failed') and coalesce(r.kind, 'blocked') = 'blocked'
