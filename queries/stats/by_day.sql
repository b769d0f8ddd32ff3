-- Children per incident date (the caller adds the kind of day: term, holiday, weekend).
select day, sum(children)::bigint as children
from daily
where day between $from and $to
group by 1
