-- Closed schools that still hold contacts in force, with the school that replaced them.
select s.urn, s.name, count(*) as contacts,
       any_value(l.link_urn) as successor_urn, any_value(n.name) as successor_name
from schools s
join school_contacts c on c.urn = s.urn and c.valid_to is null
left join school_links l on l.urn = s.urn and l.link_type like 'Successor%'
left join schools n on n.urn = l.link_urn
where s.status <> 'Open'
group by s.urn, s.name
order by s.name
