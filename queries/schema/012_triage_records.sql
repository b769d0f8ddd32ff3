-- Triage records a board can trust: actions with a status the owning agency keeps, and who attended each meeting.

-- DuckDB cannot alter a table that has an index: drop it, alter, put it back.
drop index triage_actions_incident;
alter table triage_actions add column meeting_date date;            -- the meeting that set it
alter table triage_actions add column status varchar default 'open';  -- open / done / cancelled
alter table triage_actions add column closed_by varchar;
alter table triage_actions add column closed_at timestamp;
update triage_actions set status = 'open' where status is null;
update triage_actions a set meeting_date = coalesce(
    (select d.meeting_date from triage_decisions d where d.incident_id = a.incident_id), cast(a.created_at as date));
create index triage_actions_incident on triage_actions(incident_id);

create table triage_attendance (
    meeting_date  date not null,
    agency        varchar not null,
    status        varchar not null,      -- present / apologies / absent
    attendee      varchar,               -- who came for the agency (staff, not families)
    recorded_by   varchar not null,
    recorded_at   timestamp not null,
    primary key (meeting_date, agency)
);
