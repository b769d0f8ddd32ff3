-- The sheet's rows (registered as sheet_rows), with the repeat fact the caller could tell without reading history
-- (seen_12m: a child new on this sheet, on one row of it; null for the rest, which facts/set_seen counts).
insert into child_incidents (incident_id, child_id, sheet_id, sheet_row, school_text, school_norm,
                             match_status, match_method, match_reason, urn, matched_by, matched_at, seen_12m)
select incident_id, child_id, $sheet_id, sheet_row, school_text, school_norm, match_status, match_method,
       match_reason, urn,
       case when match_status in ('matched', 'no_school') then 'auto' end,
       case when match_status in ('matched', 'no_school') then $now end,
       seen_12m
from sheet_rows
order by sheet_row
returning id, child_id
