insert into triage_open
select i.id from incidents i
where i.kind = 'domestic_abuse' and (i.level is null or i.level in (select unnest($levels::integer[])))
  and not exists (select 1 from triage_decisions d where d.incident_id = i.id)
on conflict do nothing
