select logged_at, username, action, entity, entity_id, detail
from audit_log
where $action = '' or action ilike '%' || $action || '%'
order by id desc
limit $limit
