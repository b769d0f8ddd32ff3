select id, role, name, email, phone, valid_from, valid_to, changed_by, closed_by
from school_contacts
where urn = $urn
order by valid_from desc, id desc
