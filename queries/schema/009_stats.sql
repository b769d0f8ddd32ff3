-- The statistics read pre-computed tables kept in step by the writes that change them (stats.refresh), not
-- a view joining years of history on every page: the facts of each child-incident (no names, dates of birth
-- or references), and daily pre-aggregates of them. Filled by stats.rebuild right after this migration.
drop view stats_facts;
create table stats_facts (
    ci_id                integer primary key,
    child_id             integer not null,
    incident_id          integer not null,
    day                  date not null,
    incident_at          timestamp not null,
    imported_at          timestamp not null,
    kind                 varchar not null,
    level                integer,
    dash_risk            varchar,
    urn                  integer,
    la_code              varchar,
    phase_group          varchar,
    notification_status  varchar,
    sent_at              timestamp,
    due_by               timestamp,
    matched_via          varchar,
    returned             integer not null,    -- notifications a school returned ("not at this school")
    returned_via_alias   integer not null     -- ... of which sent through a learned spelling
);
-- Children (and their incidents, counted once per school) per day, school, level and DASH risk.
create table stats_daily (
    day                 date not null,
    urn                 integer,
    la_code             varchar,
    phase_group         varchar,
    level               integer,
    dash_risk           varchar,
    children            integer not null,
    incidents           integer not null,
    sent                integer not null,
    sent_on_time        integer not null,
    returned            integer not null,
    returned_via_alias  integer not null
);
-- Incidents per day counted once for each filter a manager can choose (an incident whose children are at
-- a primary and a secondary school counts once in "all", once in each phase).
create table stats_daily_incidents (
    day        date not null,
    area       varchar not null,      -- all / home / out
    phase      varchar not null,      -- all / primary / secondary
    incidents  integer not null
);
-- Bumped by every write that changes what the statistics show: the page's cache key.
create table stats_version (version bigint not null);
insert into stats_version values (0);
