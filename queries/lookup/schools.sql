select urn as id, name, town from schools where urn in (select unnest($ids::integer[]))
