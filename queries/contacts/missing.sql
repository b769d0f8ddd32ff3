-- Open schools without a Key Contact or a Deputy with an email: a notification cannot go to them.
-- Out-of-county schools may still be reached through their LA's lead.
with roles as (
    select urn,
           bool_or(role = 'key_contact' and email is not null) as has_key,
           bool_or(role = 'deputy' and email is not null) as has_deputy
    from school_contacts
    where valid_to is null
    group by urn
),
final as (
    select s.urn, s.name, s.town, s.la_name, s.la_code <> $home as out_of_county,
           coalesce(r.has_key, false) as has_key, coalesce(r.has_deputy, false) as has_deputy,
           l.la_code is not null as la_lead
    from schools s
    left join roles r using (urn)
    left join la_leads l on l.la_code = s.la_code
    where s.status = 'Open' and s.in_register
      and not (coalesce(r.has_key, false) and coalesce(r.has_deputy, false))
)
select * from final order by out_of_county, name, urn
