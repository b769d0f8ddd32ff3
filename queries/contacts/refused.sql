-- Contacts in force whose address the mail server refused in the last 90 days, with no acceptance since:
-- the message went to the school's other lead, and this address needs checking with the school.
-- (notification_recipients grows in time order, so the date filter skips older row groups unread.)
with recent as (
    select lower(address) as email, outcome, detail, recorded_at
    from notification_recipients
    where recorded_at >= $since
),
refused as (
    select email, max(recorded_at) as refused_at, arg_max(detail, recorded_at) as detail
    from recent
    where outcome = 'refused'
    group by email
),
still as (
    select r.*
    from refused r
    where not exists (select 1 from recent a where a.email = r.email and a.outcome = 'accepted'
                      and a.recorded_at >= r.refused_at)  -- the same moment: the acceptance wins
)
select c.urn, s.name as school, c.role, c.name, c.email, r.refused_at, r.detail
from school_contacts c
join still r on r.email = lower(c.email)
join schools s on s.urn = c.urn
where c.valid_to is null
order by r.refused_at desc, school, c.role
