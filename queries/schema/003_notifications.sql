-- Notifications to schools, their replies, and versioned message templates.

create sequence seq_notifications start 1;
create table notifications (
    id                 integer primary key default nextval('seq_notifications'),
    child_incident_id  integer not null,
    urn                integer not null,
    kind               varchar not null,        -- domestic_abuse / missing_child
    status             varchar not null,        -- queued / sending / sent / failed / unknown / withdrawn / returned
    due_by             timestamp not null,      -- start of the next school day after the incident
    known_calendar     boolean not null,
    queued_at          timestamp not null,
    attempts           integer not null default 0,
    batch_id           varchar,
    route              varchar,                 -- school / la_lead, as sent
    recipients_to      varchar,
    recipients_cc      varchar,
    template_version   integer,
    message_id         varchar,
    last_error         varchar,
    sent_at            timestamp,
    sent_by            varchar,
    closed_by          varchar,                 -- who withdrew it or settled an unknown outcome
    closed_reason      varchar,
    -- one notification per child, incident and school, ever
    unique (child_incident_id, urn)
);

create sequence seq_school_responses start 1;
create table school_responses (
    id               integer primary key default nextval('seq_school_responses'),
    notification_id  integer not null,
    kind             varchar not null,          -- not_at_school / triage_info / acknowledged
    note             varchar,
    recorded_by      varchar not null,
    recorded_at      timestamp not null
);

create table templates (
    name        varchar not null,              -- domestic_abuse / missing_child / wrong_school_reply
    version     integer not null,
    subject     varchar not null,
    body_text   varchar not null,
    body_html   varchar,
    created_by  varchar not null,
    created_at  timestamp not null,
    primary key (name, version)
);
