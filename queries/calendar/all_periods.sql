-- Every calendar period: the council's (urn null) and schools' own. A few hundred rows at most.
select urn, kind, name, start_date, end_date
from calendar_periods
order by urn nulls first, start_date
