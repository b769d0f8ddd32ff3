-- Children whose school needs a person. One group per typed school text, so one decision
-- settles every child with it; a blank school is decided child by child.
with waiting as (
    select ci.id, ci.school_text, ci.school_norm, ci.match_status, ci.match_reason,
           i.police_ref, i.incident_at, c.dob,
           case when coalesce(ci.school_norm, '') = '' then 'child:' || ci.id::varchar
                else ci.school_norm end as group_key
    from child_incidents ci
    join incidents i on i.id = ci.incident_id
    join children c on c.id = ci.child_id
    where ci.match_status in ('review', 'unknown')
),
final as (
    select group_key,
           any_value(school_text) as school_text,
           any_value(school_norm) as school_norm,
           any_value(match_reason) as reason,
           list(id order by incident_at, id) as child_incident_ids,
           list(police_ref order by incident_at, id) as police_refs,
           list(dob order by incident_at, id) as dobs,
           list(incident_at::date order by incident_at, id) as incident_dates,
           count(*) as children,
           min(incident_at) as earliest
    from waiting
    group by group_key
)
select * from final order by earliest, group_key
