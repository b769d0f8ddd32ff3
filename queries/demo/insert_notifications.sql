-- Demo history: a sent notification for every matched child before the last day; about 5% sent
-- after the school day began, 2% returned by a school that did not have the child.
insert into notifications (id, child_incident_id, urn, kind, status, due_by, known_calendar, queued_at, attempts,
                           route, recipients_to, recipients_cc, template_version, message_id, sent_at, sent_by,
                           matched_via)
select ci.id, ci.id, ci.urn, i.kind,
       case when hash(ci.id) % 50 = 0 then 'returned' else 'sent' end,
       d.due_by, true, s.imported_at, 1, 'school',
       'key.contact.' || ci.urn || '@schools.example.org', 'deputy.' || ci.urn || '@schools.example.org', 0,
       '<demo-' || ci.id || '@encompass.local>',
       s.imported_at + to_minutes(cast(10 + hash(ci.id) % 80 as bigint))
                     + case when hash(ci.id * 7) % 20 = 0 then interval 1 day else interval 0 day end,
       'coordinator', ci.match_method
from child_incidents ci
join incidents i on i.id = ci.incident_id
join sheets s on s.id = ci.sheet_id
join due_dates d on d.day = i.incident_at::date
where ci.match_status = 'matched' and ci.urn is not null and i.incident_at::date < $before
