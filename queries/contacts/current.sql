select id, role, name, email, phone, valid_from, changed_by
from school_contacts
where urn = $urn and valid_to is null
order by case role when 'key_contact' then 1 when 'deputy' then 2 when 'head' then 3 else 4 end, name
