-- Sent and returned notifications for incidents in the range.
select coalesce(sum(sent), 0)::bigint as sent, coalesce(sum(returned), 0)::bigint as returned,
       coalesce(sum(returned_via_alias), 0)::bigint as returned_via_alias
from daily
where day between $from and $to
