-- The audit log between two moments, optionally by one person and of some actions, newest first.
select id, logged_at, username, action, entity, entity_id, detail
from audit_log
where logged_at >= $from and logged_at < $to
  and ($who = '' or username = $who)
  and (len($actions::varchar[]) = 0 or list_contains($actions::varchar[], action))
order by id desc
limit $limit
