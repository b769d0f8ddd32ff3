-- Children per incident date (the caller adds the kind of day: term, holiday, weekend).
select day, count(*) as children
from facts
where day between $from and $to
group by 1
