-- Children with these normalised names; the caller matches the DOB.
select id, name_key, dob from children where name_key in (select unnest($keys::varchar[]))
