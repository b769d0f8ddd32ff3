update school_contacts set valid_to = $now, closed_by = $username
where id = $id and valid_to is null
