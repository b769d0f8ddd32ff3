select i.police_ref, i.level, count(ci.id) as children
from incidents i
left join child_incidents ci on ci.incident_id = i.id
where i.kind = 'domestic_abuse'
  and i.incident_at::date between $start and $end
  and i.level in (select unnest($levels::integer[]))
group by i.id, i.police_ref, i.level, i.incident_at
order by i.incident_at, i.police_ref
