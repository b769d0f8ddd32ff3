select urn as id, name, town from schools where list_contains($ids::integer[], urn)
