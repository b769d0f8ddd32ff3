-- Every open child-incident, from the small index of those that may be open. No names.
with candidates as (
    select s.*
    from child_state($home, $ehe_email, $ehe_name) s
    where s.id in (select child_incident_id from ledger_open)
)
select s.id, s.state, s.reason, s.urn, s.notification_id, s.due_by, s.known_calendar,
       i.police_ref, i.kind, i.incident_at, c.dob,
       case when s.urn is not null then sc.name
            when s.target like 'la:%' then 'out of area: ' || coalesce(l.la_name, s.la_code)
            when s.target = 'ehe' then 'no school (EHE / not in education)'
            else coalesce(ci.school_text, 'no school given') end as school
from candidates s
join child_incidents ci on ci.id = s.id
join incidents i on i.id = s.incident_id
join children c on c.id = s.child_id
left join schools sc on sc.urn = s.urn
left join la_leads l on l.la_code = s.la_code
where s.state in ('needs_school', 'blocked', 'queued', 'failed', 'outcome_unknown')
