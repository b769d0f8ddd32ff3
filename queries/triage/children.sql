-- The children in each incident (eldest first): school, repeats in 12 months, siblings, notification and replies.
with kids as (
    select ci.id as ci_id, ci.incident_id, ci.child_id, c.forename, c.surname, c.dob, i.incident_at,
           coalesce(s.name, ci.school_text, 'no school given') as school, ci.match_status
    from child_incidents ci
    join children c on c.id = ci.child_id
    join incidents i on i.id = ci.incident_id
    left join schools s on s.urn = ci.urn
    where ci.incident_id in (select unnest($ids::integer[]))
),
final as (
    select k.incident_id, k.forename, k.surname, k.dob, k.incident_at, k.school, k.match_status,
           (select count(distinct p.incident_id) from child_incidents p join incidents pi on pi.id = p.incident_id
            where p.child_id = k.child_id
              and pi.incident_at between k.incident_at - interval 12 month and k.incident_at) as times_in_12_months,
           (select count(*) - 1 from child_incidents s where s.incident_id = k.incident_id) as siblings,
           (select n.status from notifications n where n.child_incident_id = k.ci_id
            order by n.id desc limit 1) as notification,
           (select string_agg(r.kind || coalesce(': ' || r.note, ''), '; ' order by r.recorded_at)
            from notifications n join school_responses r on r.notification_id = n.id
            where n.child_incident_id = k.ci_id) as school_replies
    from kids k
)
select * from final order by incident_id, dob, forename
