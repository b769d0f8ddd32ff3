-- The (calendar, day) pairs the rows of to_queue (registered) need a due time for: most schools keep the
-- council's calendar (calendar_urn null), so a sheet needs one due time per day, not per school.
select distinct calendar_urn, incident_at::date as day from to_queue
