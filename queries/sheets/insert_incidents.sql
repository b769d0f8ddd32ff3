-- New police references from this sheet; a known one keeps its first record.
insert into incidents (police_ref, incident_at, has_time, level, dash_risk, kind, sheet_id)
select police_ref, min(incident_at), bool_or(has_time), max(level), max(dash_risk), $kind, $sheet_id
from sheet_rows
where police_ref not in (select police_ref from incidents)
group by police_ref
returning id
