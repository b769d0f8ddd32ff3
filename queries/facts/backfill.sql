-- Repeat and sibling facts for every row at once (after the demo's bulk load).
update child_incidents set seen_12m = r.n
from (
    select ci.id, count(*) over (partition by ci.child_id order by i.incident_at
                                 range between interval 12 month preceding and current row) as n
    from child_incidents ci
    join incidents i on i.id = ci.incident_id
) r
where child_incidents.id = r.id;
update incidents set children = r.n
from (select incident_id, count(*) as n from child_incidents group by incident_id) r
where incidents.id = r.incident_id;
