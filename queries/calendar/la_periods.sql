select id, academic_year, kind, name, start_date, end_date, note
from calendar_periods
where urn is null
order by start_date, kind
