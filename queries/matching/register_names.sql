-- The register's normalised names in URN order, as matching/register lists the schools: what typed names are
-- scored against (see matching.EarlyScores).
select name_norm from schools where name_norm <> '' order by urn
