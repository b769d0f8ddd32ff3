-- Contacts whose email domain is unlike every other contact's at the same school (often a typo).
with current as (
    select id, urn, role, name, email, lower(split_part(email, '@', 2)) as domain
    from school_contacts
    where valid_to is null and email is not null
),
per_school as (
    select urn, count(*) as contacts from current group by urn
),
final as (
    select c.urn, s.name as school, c.role, c.name, c.email, c.domain
    from current c
    join per_school p using (urn)
    join schools s on s.urn = c.urn
    where p.contacts >= 3
      and not exists (select 1 from current o where o.urn = c.urn and o.id <> c.id and o.domain = c.domain)
)
select * from final order by school, role
