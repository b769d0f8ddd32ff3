-- One school's register details, its successor if closed, and when its contacts were last confirmed.
select s.urn, s.name, s.la_code, s.la_name, s.type, s.status, s.phase, s.phase_group, s.town, s.postcode,
       s.la_inferred,
       (select max(confirmed_on) from school_confirmations c where c.urn = s.urn) as last_confirmed,
       l.link_urn as successor_urn, n.name as successor_name
from schools s
left join school_links l on l.urn = s.urn and l.link_type like 'Successor%' and s.status <> 'Open'
left join schools n on n.urn = l.link_urn
where s.urn = $urn
limit 1
