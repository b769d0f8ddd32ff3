select urn, name from schools where in_register order by name, urn
