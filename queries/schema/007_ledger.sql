-- Every child accounted for: a notification goes to a target (a school, another local authority's
-- Operation Encompass lead, or the council's EHE / children-missing-education officer); a person can
-- close a child-incident with a reason; and a small index of the child-incidents that may be open.

-- A school's locality (GIAS "Locality"), when the extract has it: officers type it after the name.
alter table schools add column locality varchar;

alter table child_incidents add column la_code varchar;           -- out of area: the LA a person chose
alter table child_incidents add column closed_reason varchar;     -- a person decided no notification is needed
alter table child_incidents add column closed_note varchar;
alter table child_incidents add column closed_by varchar;
alter table child_incidents add column closed_at timestamp;

-- Notifications are rebuilt: the school becomes one kind of target, and one child-incident may have a
-- missing-child notice, its "found" notice and a reply to a school that did not have the child.
create table notifications_v2 (
    id                 integer primary key default nextval('seq_notifications'),
    child_incident_id  integer not null,
    target             varchar not null,        -- school:URN / la:CODE / ehe
    urn                integer,                 -- the school, for school targets
    la_code            varchar,                 -- the local authority, for la targets
    kind               varchar not null,        -- domestic_abuse / missing_child / missing_found / wrong_school_reply
    status             varchar not null,        -- queued / sending / sent / failed / unknown / withdrawn / returned
    due_by             timestamp not null,
    known_calendar     boolean not null,
    queued_at          timestamp not null,
    attempts           integer not null default 0,
    batch_id           varchar,
    route              varchar,                 -- school / la_lead / ehe, as sent
    recipients_to      varchar,
    recipients_cc      varchar,
    template_version   integer,
    message_id         varchar,
    last_error         varchar,
    sent_at            timestamp,
    sent_by            varchar,
    closed_by          varchar,
    closed_reason      varchar,
    matched_via        varchar,
    claimed_by         varchar,                 -- who is sending it, and since when (status sending)
    claimed_at         timestamp,
    unique (child_incident_id, target, kind)
);
insert into notifications_v2 (id, child_incident_id, target, urn, kind, status, due_by, known_calendar, queued_at,
                              attempts, batch_id, route, recipients_to, recipients_cc, template_version, message_id,
                              last_error, sent_at, sent_by, closed_by, closed_reason, matched_via)
select id, child_incident_id, 'school:' || urn, urn, kind, status, due_by, known_calendar, queued_at, attempts,
       batch_id, route, recipients_to, recipients_cc, template_version, message_id, last_error, sent_at, sent_by,
       closed_by, closed_reason, matched_via
from notifications;
drop view stats_facts;
drop table notifications;
alter table notifications_v2 rename to notifications;

-- A school's reply that it read the notification, or sent information for the triage: acknowledged.
update notifications set status = 'acknowledged'
where status = 'sent'
  and id in (select notification_id from school_responses where kind in ('acknowledged', 'triage_info'));

-- Children recorded with no school, or out of area, before those had a route: a decision taken under the
-- old rules, recorded as such, so they do not all reappear as open work.
update child_incidents
set closed_reason = 'decided_before_routes', closed_by = 'migration', closed_at = now()::timestamp,
    closed_note = 'recorded as ' || replace(match_status, '_', ' ') || ' before such children were notified'
where match_status in ('no_school', 'out_of_area');

-- The child-incidents that may be open (a superset is harmless; the state itself is always derived).
-- Kept in the same transaction as every write that can open or end one, so the morning's work is
-- found without reading years of history.
create table ledger_open (child_incident_id integer primary key);
insert into ledger_open
select ci.id
from child_incidents ci
where ci.closed_at is null
  and (ci.match_status in ('review', 'unknown')
       or ci.id in (select child_incident_id from notifications
                    where status in ('queued', 'sending', 'failed', 'unknown', 'returned'))
       or (ci.match_status = 'matched'
           and ci.id not in (select child_incident_id from notifications where kind <> 'wrong_school_reply')));

-- The view the statistics read, over the new notifications.
create view stats_facts as
select ci.id as ci_id, ci.child_id, ci.incident_id, i.incident_at, i.incident_at::date as day, i.level,
       i.dash_risk, i.kind, sh.imported_at, ci.urn, ci.match_status, s.name as school, s.la_code,
       s.phase_group, n.status as notification_status, n.sent_at, n.due_by, n.matched_via
from child_incidents ci
join incidents i on i.id = ci.incident_id
join sheets sh on sh.id = ci.sheet_id
left join schools s on s.urn = ci.urn
left join notifications n on n.child_incident_id = ci.id and n.urn = ci.urn and n.kind = i.kind;

-- A learned "out of area" spelling remembers the local authority chosen (a suggestion, never automatic).
alter table school_aliases add column la_code varchar;

-- A missing child reported found: the "found" notice closes the loop with whoever was told.
alter table incidents add column found_at timestamp;
alter table incidents add column found_by varchar;

-- Incidents that may be waiting for a triage decision (a small index, like ledger_open): at the triage
-- levels or with no level, and no decision yet. A superset is harmless; the list checks each.
create table triage_open (incident_id integer primary key);
insert into triage_open
select i.id from incidents i
where i.kind = 'domestic_abuse' and not exists (select 1 from triage_decisions d where d.incident_id = i.id)
  and (i.level is null or list_contains(
      string_split(coalesce((select value from settings where key = 'triage_levels'), '2,3'), ',')::integer[],
      i.level));
