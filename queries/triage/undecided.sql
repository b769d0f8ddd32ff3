-- Incidents waiting for a triage decision: at the triage levels or with no level given, no decision yet.
-- Read from the small index of them (triage_open), not from years of incidents.
select i.id, i.police_ref, i.incident_at, i.level, s.imported_at
from triage_open o
join incidents i on i.id = o.incident_id
join sheets s on s.id = i.sheet_id
where i.kind = 'domestic_abuse'
  and (i.level is null or i.level in (select unnest($levels::integer[])))
  and not exists (select 1 from triage_decisions d where d.incident_id = i.id)
