select id, academic_year, kind, name, start_date, end_date
from calendar_periods
where urn = $urn
order by start_date
