-- The morning's numbers about today's sheets (the open work comes from the ledger); repeats are facts
-- computed at import.
select count(*) as children,
       count(*) filter (where match_status = 'matched') as matched,
       count(distinct child_id) filter (where seen_12m > 1) as repeat_children
from child_incidents
where list_contains($sheets::integer[], sheet_id)
