-- The repeat fact of every child-incident of the given children (the demo passes all of them): a
-- late-arriving earlier incident changes the counts of the later ones. Only rows whose count changes are written.
update child_incidents set seen_12m = r.n
from (
    select ci.id, count(*) over (partition by ci.child_id order by i.incident_at
                                 range between interval 12 month preceding and current row) as n
    from child_incidents ci
    join incidents i on i.id = ci.incident_id
    where ci.child_id in (select unnest($ids::integer[]))
) r
where child_incidents.id = r.id and child_incidents.seen_12m is distinct from r.n
