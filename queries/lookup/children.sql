-- Children by id (a short list). Names: the caller audits what it shows.
select id, forename, surname, dob from children where list_contains($ids::integer[], id)
