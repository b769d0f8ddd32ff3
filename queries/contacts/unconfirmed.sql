-- Home-LA open schools with no confirmation since the start of the school year.
with last as (
    select urn, max(confirmed_on) as confirmed_on from school_confirmations group by urn
)
select s.urn, s.name, s.town, l.confirmed_on as last_confirmed
from schools s
left join last l using (urn)
where s.status = 'Open' and s.in_register and s.la_code = $home
  and (l.confirmed_on is null or l.confirmed_on < $since)
order by l.confirmed_on nulls first, s.name
