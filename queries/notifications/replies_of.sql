-- Schools' replies to the given notifications.
select notification_id, kind, note, recorded_at from school_responses
where notification_id in (select unnest($ids::integer[]))
order by recorded_at, id
