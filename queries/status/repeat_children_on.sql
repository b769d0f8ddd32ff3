-- Children on the day's sheets with other incidents in the 12 months before this one, with siblings.
with todays as (
    select ci.child_id, ci.incident_id, i.incident_at, i.police_ref
    from child_incidents ci
    join sheets s on s.id = ci.sheet_id
    join incidents i on i.id = ci.incident_id
    where s.imported_at::date = $day
),
history as (
    select t.child_id, t.incident_id, t.police_ref, t.incident_at,
           count(distinct p.incident_id) as times_in_12_months
    from todays t
    join child_incidents p on p.child_id = t.child_id
    join incidents pi on pi.id = p.incident_id
    where pi.incident_at between t.incident_at - interval 12 month and t.incident_at
    group by all
),
final as (
    select h.police_ref, c.forename, c.surname, c.dob, h.times_in_12_months,
           (select count(*) - 1 from child_incidents s where s.incident_id = h.incident_id) as siblings
    from history h
    join children c on c.id = h.child_id
    where h.times_in_12_months > 1
)
select * from final order by times_in_12_months desc, police_ref
