-- What the notifications' messages need, with where each goes now (a read of children's records: the
-- caller audits it).
select n.id, n.child_incident_id, n.urn, n.kind, n.target, i.police_ref, i.incident_at, c.forename, c.surname,
       c.dob, ci.school_text,
       case when n.urn is not null then s.name
            when n.target = 'ehe' then 'no school'
            else coalesce(l.la_name, n.la_code) end as recipient,
       r.kind as route_kind, r.to_email, r.cc_email, coalesce(r.reason, no_route_reason(n.target)) as route_reason,
       r.missing_lead
from notifications n
join child_incidents ci on ci.id = n.child_incident_id
join incidents i on i.id = ci.incident_id
join children c on c.id = ci.child_id
left join schools s on s.urn = n.urn
left join la_leads l on l.la_code = n.la_code
left join routes($home, $ehe_email, $ehe_name) r on r.target = n.target
where n.id in (select unnest($ids::integer[]))
