-- The facts of the child-incidents in stats_scope (a temporary table: a few ids after a write, or all of
-- them to rebuild), from their sources. Driving from stats_scope keeps the big tables on the probe side.
insert into stats_facts
with scoped as (
    select ci.* from stats_scope sc join child_incidents ci on ci.id = sc.ci_id
),
returns as (
    select n.child_incident_id, count(*) as returned, count(*) filter (where n.matched_via = 'alias') as via_alias
    from scoped c
    join notifications n on n.child_incident_id = c.id
    where n.status = 'returned'
    group by n.child_incident_id
)
select ci.id, ci.child_id, ci.incident_id, i.incident_at::date, i.incident_at, sh.imported_at, i.kind, i.level,
       i.dash_risk, ci.urn, s.la_code, s.phase_group, n.status, n.sent_at, n.due_by, n.matched_via,
       coalesce(r.returned, 0), coalesce(r.via_alias, 0)
from scoped ci
join incidents i on i.id = ci.incident_id
join sheets sh on sh.id = ci.sheet_id
left join schools s on s.urn = ci.urn
left join notifications n on n.child_incident_id = ci.id and n.urn = ci.urn and n.kind = i.kind
left join returns r on r.child_incident_id = ci.id
