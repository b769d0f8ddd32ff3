-- Children in this sheet with another incident in the 12 months before this one.
select count(distinct ci.child_id)
from child_incidents ci
join incidents i on i.id = ci.incident_id
where ci.sheet_id = $sheet_id
  and exists (
      select 1
      from child_incidents p
      join incidents pi on pi.id = p.incident_id
      where p.child_id = ci.child_id and p.incident_id <> ci.incident_id
        and pi.incident_at between i.incident_at - interval 12 month and i.incident_at
  )
