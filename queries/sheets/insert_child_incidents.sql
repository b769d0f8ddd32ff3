insert into child_incidents (incident_id, child_id, sheet_id, sheet_row, school_text, school_norm,
                             match_status, match_method, match_reason, urn, matched_by, matched_at)
select incident_id, child_id, $sheet_id, sheet_row, school_text, school_norm, match_status, match_method,
       match_reason, urn,
       case when match_status in ('matched', 'no_school') then 'auto' end,
       case when match_status in ('matched', 'no_school') then $now end
from sheet_rows
order by sheet_row
returning id, child_id
