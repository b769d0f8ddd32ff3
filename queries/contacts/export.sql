select c.urn, s.name as school, c.role, c.name, c.email, c.phone, c.valid_from
from school_contacts c
join schools s on s.urn = c.urn
where c.valid_to is null
order by s.name, c.urn, case c.role when 'key_contact' then 1 when 'deputy' then 2 when 'head' then 3 else 4 end
