select id, school_text from child_incidents where id in (select unnest($ids::integer[]))
