-- Children among these child-incidents with another incident in the 12 months before (facts, at import).
select count(distinct child_id) from child_incidents where id in (select unnest($ids::integer[])) and seen_12m > 1
