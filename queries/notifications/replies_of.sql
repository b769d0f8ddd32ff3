-- Schools' replies to the given notifications (the index finds them).
select notification_id, kind, note, recorded_at from school_responses
where list_contains($ids::integer[], notification_id)
order by recorded_at, id
