-- Foundation schema: register, calendar, sheets, children, incidents, matching, users, audit.
-- Only what the service needs from the police sheet is stored: no addresses, no narrative.

create table settings (
    key   varchar primary key,
    value varchar not null
);

create table schools (
    urn          integer primary key,
    name         varchar not null,
    name_norm    varchar not null,          -- normalised for matching (see encompass/normalise.py)
    la_code      varchar,
    la_name      varchar,
    type         varchar,
    status       varchar not null,          -- Open / Closed (schools known only from the links file are Closed)
    phase        varchar,                   -- GIAS phase as given
    phase_group  varchar,                   -- primary / secondary / all / unknown: derived for age checks
    low_age      integer,
    high_age     integer,
    town         varchar,
    postcode     varchar,
    la_inferred  boolean not null default false,
    in_register  boolean not null default true,  -- false: only named in a links file
    updated_at   timestamp not null
);

create table school_links (
    urn        integer not null,
    link_urn   integer not null,
    link_type  varchar not null,            -- Successor / Predecessor (GIAS wording, "- merged" kept)
    link_date  date,
    primary key (urn, link_urn, link_type)
);

create sequence seq_school_aliases start 1;
create table school_aliases (
    id          integer primary key default nextval('seq_school_aliases'),
    text_norm   varchar not null unique,    -- the typed school text, normalised
    outcome     varchar not null,           -- school / no_school / out_of_area
    urn         integer,                    -- set when outcome = school
    created_by  varchar not null,
    created_at  timestamp not null,
    flagged     boolean not null default false  -- set when a school returns a notification sent through it
);

create sequence seq_contacts start 1;
create table school_contacts (
    id            integer primary key default nextval('seq_contacts'),
    urn           integer not null,
    role          varchar not null,         -- key_contact / deputy / head / other
    name          varchar not null,
    email         varchar,
    phone         varchar,
    valid_from    timestamp not null,
    valid_to      timestamp,                -- null: in force
    changed_by    varchar not null,
    last_confirmed date
);

create sequence seq_calendar start 1;
create table calendar_periods (
    id             integer primary key default nextval('seq_calendar'),
    urn            integer,                 -- null: the local authority's calendar
    academic_year  varchar not null,
    kind           varchar not null,        -- term / holiday / non_pupil_day
    name           varchar not null,
    start_date     date not null,
    end_date       date not null,
    note           varchar
);

create table bank_holidays (
    day   date primary key,
    name  varchar not null
);

create sequence seq_sheets start 1;
create table sheets (
    id            integer primary key default nextval('seq_sheets'),
    filename      varchar not null,
    content_hash  varchar not null unique,
    source        varchar not null,         -- upload / cli / demo / missing_notice
    imported_at   timestamp not null,
    imported_by   varchar not null,
    rows_total    integer not null,         -- non-blank data rows
    imported      integer not null,
    duplicates    integer not null,
    rejected      integer not null
);

create table rejected_rows (
    sheet_id    integer not null,
    row_number  integer not null,           -- spreadsheet row, header = 1
    field       varchar not null,
    reason      varchar not null
);

create sequence seq_incidents start 1;
create table incidents (
    id           integer primary key default nextval('seq_incidents'),
    police_ref   varchar not null unique,
    incident_at  timestamp not null,
    has_time     boolean not null,          -- false when the sheet gave a date only
    level        integer,                   -- local threshold level 1-4
    dash_risk    varchar,                   -- standard / medium / high
    kind         varchar not null default 'domestic_abuse',  -- or missing_child
    sheet_id     integer not null
);

create sequence seq_children start 1;
create table children (
    id          integer primary key default nextval('seq_children'),
    forename    varchar not null,
    surname     varchar not null,
    dob         date not null,
    name_key    varchar not null,           -- case, spacing and punctuation removed
    first_seen  timestamp not null,
    unique (name_key, dob)
);

create sequence seq_child_incidents start 1;
create table child_incidents (
    id            integer primary key default nextval('seq_child_incidents'),
    incident_id   integer not null,
    child_id      integer not null,
    sheet_id      integer not null,
    sheet_row     integer not null,
    school_text   varchar,                  -- as the officer typed it
    school_norm   varchar,
    match_status  varchar not null,         -- matched / review / unknown / no_school / out_of_area
    match_method  varchar,                  -- alias / exact / fuzzy / age / person / no_school_words
    match_reason  varchar,
    urn           integer,
    matched_by    varchar,
    matched_at    timestamp,
    unique (incident_id, child_id)
);

create table header_mappings (
    header_norm  varchar primary key,
    field        varchar not null,
    created_by   varchar not null,
    created_at   timestamp not null
);

create table users (
    username       varchar primary key,
    display_name   varchar not null,
    email          varchar,
    password_hash  varchar not null,
    roles          varchar not null,        -- comma-separated: coordinator, triage, manager, admin
    agency         varchar,                 -- for triage members
    disabled       boolean not null default false,
    created_at     timestamp not null
);

create sequence seq_login_attempts start 1;
create table login_attempts (
    id            bigint primary key default nextval('seq_login_attempts'),
    username      varchar not null,
    attempted_at  timestamp not null,
    succeeded     boolean not null
);

create sequence seq_audit start 1;
create table audit_log (
    id        bigint primary key default nextval('seq_audit'),
    logged_at timestamp not null,
    username  varchar not null,
    action    varchar not null,
    entity    varchar,
    entity_id varchar,
    detail    varchar                       -- JSON; never a child's name
);
