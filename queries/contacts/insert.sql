insert into school_contacts (urn, role, name, email, phone, valid_from, changed_by)
values ($urn, $role, $name, $email, $phone, $now, $username)
