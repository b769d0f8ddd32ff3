-- The contacts in force at a moment in the past.
select id, role, name, email, phone, valid_from, valid_to
from school_contacts
where urn = $urn and valid_from <= $when and (valid_to is null or valid_to > $when)
order by case role when 'key_contact' then 1 when 'deputy' then 2 when 'head' then 3 else 4 end, name
