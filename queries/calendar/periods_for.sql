-- The LA's calendar periods and, when given, one school's own.
select urn, kind, name, start_date, end_date
from calendar_periods
where urn is null or urn = $urn
order by start_date
