update notifications set status = 'returned', closed_by = $username, closed_reason = 'not at this school'
where id = $id
