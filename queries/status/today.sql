-- The morning's numbers about today's sheets (the open work comes from the ledger).
with todays as (
    select ci.child_id, ci.incident_id, ci.match_status, i.incident_at
    from child_incidents ci
    join sheets s on s.id = ci.sheet_id
    join incidents i on i.id = ci.incident_id
    where s.imported_at::date = $day
),
repeats as (
    select count(distinct t.child_id) as n
    from todays t
    where exists (
        select 1 from child_incidents p join incidents pi on pi.id = p.incident_id
        where p.child_id = t.child_id and p.incident_id <> t.incident_id
          and pi.incident_at between t.incident_at - interval 12 month and t.incident_at)
)
select
    (select count(*) from todays) as children,
    (select count(*) from todays where match_status = 'matched') as matched,
    (select n from repeats) as repeat_children
