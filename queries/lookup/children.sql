-- Children by id. Names: the caller audits what it shows.
select id, forename, surname, dob from children where id in (select unnest($ids::integer[]))
