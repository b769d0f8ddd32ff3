-- Demo history: a sent notification for every child with a school (or with none: to the EHE officer)
-- before the last day; about 5% sent after the school day began. About 2% first went to a school that
-- did not have the child: that one was returned (and a reply sent asking it to delete the message),
-- and the child was then confirmed at the right school, notified in its turn.
with decided as (
    select ci.id, ci.urn, ci_target(ci.match_status, ci.urn, ci.la_code) as target, i.kind, d.due_by,
           s.imported_at, ci.match_method
    from child_incidents ci
    join incidents i on i.id = ci.incident_id
    join sheets s on s.id = ci.sheet_id
    join due_dates d on d.day = i.incident_at::date
    where ci.match_status in ('matched', 'no_school') and ci.closed_at is null and i.incident_at::date < $before
),
open_urns as (
    select list(urn order by urn) as urns from schools where in_register and status = 'Open'
),
wrong as (  -- the school a returned notification went to first: another school of the register
    select d.*, list_filter(o.urns, lambda u: u <> d.urn)[1 + (hash(d.id) % (len(o.urns) - 1))::integer] as wrong_urn
    from decided d, open_urns o
    where d.urn is not null and hash(d.id) % 50 = 0
),
rows as (
    select d.id as ci, d.target, d.urn, d.kind, 'sent' as status, d.due_by, d.imported_at, d.match_method,
           d.imported_at + to_minutes(cast(10 + hash(d.id) % 80 as bigint))
               + case when hash(d.id * 7) % 20 = 0 then interval 1 day else interval 0 day end
               + case when d.id in (select id from wrong) then interval 2 day else interval 0 day end as sent_at
    from decided d
    union all
    select w.id, 'school:' || w.wrong_urn, w.wrong_urn, w.kind, 'returned', w.due_by, w.imported_at, 'fuzzy',
           w.imported_at + to_minutes(cast(10 + hash(w.id) % 80 as bigint))
    from wrong w
    union all
    select w.id, 'school:' || w.wrong_urn, w.wrong_urn, 'wrong_school_reply', 'sent', w.imported_at + interval 1 day,
           w.imported_at, null, w.imported_at + interval 1 day + interval 3 hour
    from wrong w
)
insert into notifications (child_incident_id, target, urn, kind, status, due_by, known_calendar, queued_at, attempts,
                           route, recipients_to, recipients_cc, template_version, message_id, sent_at, sent_by,
                           matched_via)
select ci, target, urn, kind, status, due_by, true, imported_at, 1,
       case when urn is null then 'ehe' else 'school' end,
       case when urn is null then 'ehe.officer@council.example.org' else 'key.contact.' || urn || '@schools.example.org' end,
       case when urn is null then null else 'deputy.' || urn || '@schools.example.org' end, 0,
       '<demo-' || ci || '-' || kind || '-' || coalesce(urn, 0) || '@encompass.local>', sent_at, 'coordinator',
       match_method
from rows
order by ci, sent_at
