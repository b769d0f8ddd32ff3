-- Notifications waiting now whose school has no Key Contact or Deputy (nor, out of county, an LA lead).
with ready as (
    select urn,
           bool_or(role = 'key_contact' and email is not null) and bool_or(role = 'deputy' and email is not null) as ok
    from school_contacts where valid_to is null group by urn
)
select count(*) as blocked
from notifications n
join schools s on s.urn = n.urn
left join ready r on r.urn = n.urn
left join la_leads l on l.la_code = s.la_code and s.la_code <> $home
where n.status in ('queued', 'failed') and not coalesce(r.ok, false) and l.la_code is null
