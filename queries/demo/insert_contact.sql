insert into school_contacts (urn, role, name, email, phone, valid_from, changed_by)
values (?, ?, ?, ?, ?, ?, ?)
