-- The sheet's rows (registered as sheet_rows, each with its incident's recorded time). A child new on this sheet
-- has all its incidents here, so its repeat fact (seen_12m, as facts/set_seen defines it) is counted from these
-- rows; a child seen before is left to facts/set_seen, which reads its history.
insert into child_incidents (incident_id, child_id, sheet_id, sheet_row, school_text, school_norm,
                             match_status, match_method, match_reason, urn, matched_by, matched_at, seen_12m)
select incident_id, child_id, $sheet_id, sheet_row, school_text, school_norm, match_status, match_method,
       match_reason, urn,
       case when match_status in ('matched', 'no_school') then 'auto' end,
       case when match_status in ('matched', 'no_school') then $now end,
       case when new_child then count(*) over (partition by child_id order by incident_time
                                               range between interval 12 month preceding and current row) end
from sheet_rows
order by sheet_row
returning id, child_id
