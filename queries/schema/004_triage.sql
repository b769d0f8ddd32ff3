-- The daily Domestic Abuse Triage: agencies' checks, meetings, decisions, actions and amendments.

create table triage_meetings (
    meeting_date  date primary key,
    closed_by     varchar,
    closed_at     timestamp
);

create sequence seq_triage_checks start 1;
create table triage_checks (
    id           integer primary key default nextval('seq_triage_checks'),
    incident_id  integer not null,
    agency       varchar not null,
    known        varchar not null,        -- yes / no / not_checked
    note         varchar,
    version      integer not null,        -- optimistic concurrency: a save names the version it replaces
    updated_by   varchar not null,
    updated_at   timestamp not null,
    unique (incident_id, agency)
);

create table triage_decisions (
    incident_id   integer primary key,
    meeting_date  date not null,
    agreed_level  integer not null,
    outcome       varchar not null,
    rationale     varchar,
    decided_by    varchar not null,
    decided_at    timestamp not null
);

create sequence seq_triage_actions start 1;
create table triage_actions (
    id            integer primary key default nextval('seq_triage_actions'),
    incident_id   integer not null,
    action        varchar not null,
    owner_agency  varchar not null,
    due_date      date,
    created_by    varchar not null,
    created_at    timestamp not null
);

create sequence seq_triage_amendments start 1;
create table triage_amendments (
    id            integer primary key default nextval('seq_triage_amendments'),
    incident_id   integer not null,
    what          varchar not null,
    old_value     varchar,
    new_value     varchar,
    reason        varchar not null,
    amended_by    varchar not null,
    amended_at    timestamp not null
);
