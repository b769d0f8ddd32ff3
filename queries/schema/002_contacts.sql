-- Contacts: who closed a contact, confirmations per school (the yearly re-confirmation),
-- and other local authorities' Operation Encompass leads.

alter table school_contacts add column closed_by varchar;

create table school_confirmations (
    urn           integer not null,
    confirmed_on  date not null,
    confirmed_by  varchar not null
);
insert into school_confirmations
select urn, max(last_confirmed), 'migration'
from school_contacts
where last_confirmed is not null
group by urn;
alter table school_contacts drop column last_confirmed;

create table la_leads (
    la_code     varchar primary key,
    la_name     varchar,
    name        varchar not null,
    email       varchar not null,
    phone       varchar,
    updated_by  varchar not null,
    updated_at  timestamp not null
);
