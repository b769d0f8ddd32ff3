-- Email domains in use by at least two contacts in force: the council's schools' own and their providers.
select lower(split_part(email, '@', 2)) as domain
from school_contacts
where valid_to is null and email is not null
group by all
having count(*) >= 2
