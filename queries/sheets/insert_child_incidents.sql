insert into child_incidents (incident_id, child_id, sheet_id, sheet_row, school_text, school_norm,
                             match_status, match_method, match_reason, urn, matched_by, matched_at)
select i.id, c.id, $sheet_id, s.sheet_row, s.school_text, s.school_norm,
       s.match_status, s.match_method, s.match_reason, s.urn,
       case when s.match_status in ('matched', 'no_school') then 'auto' end,
       case when s.match_status in ('matched', 'no_school') then $now end
from sheet_rows s
join incidents i on i.police_ref = s.police_ref
join children c on c.name_key = s.name_key and c.dob = s.dob
returning id
