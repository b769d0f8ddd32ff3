-- Derived relations, recreated on every connect (db.define): they are code, not data, so they always
-- match the code that reads them. One definition each, read by the pages, the CLI and the sender.

-- Where a child-incident's notification goes, from the school decision: a school, another local authority
-- (out of area) or the council's EHE / children-missing-education officer (no school). Null: a person must choose.
create or replace macro ci_target(match_status, urn, la_code) as
    case match_status when 'matched' then 'school:' || urn
                      when 'out_of_area' then 'la:' || la_code
                      when 'no_school' then 'ehe' end;

-- Why a target has no recipient when `routes` has no row for it.
create or replace macro no_route_reason(target) as
    case when target like 'la:%' then 'no Operation Encompass lead is recorded for this local authority'
         when target = 'ehe' then 'no EHE / children-missing-education officer is set'
         else 'URN ' || replace(coalesce(target, '?'), 'school:', '') || ' is not in the register' end;

-- Where a message to each target goes now: a school (its Key Contact and Deputy, or for an out-of-county
-- school without contacts its LA's Operation Encompass lead), another LA's lead (a child at a school
-- out of area), or the council's EHE / children-missing-education officer (a child with no school).
-- A target with no row here has no recipient: see child_state for the reason given.
create or replace macro routes(home, ehe_email, ehe_name) as table
with leads_now as (
    select urn,
           max(email) filter (where role = 'key_contact') as key_email,
           max(email) filter (where role = 'deputy') as deputy_email
    from school_contacts
    where valid_to is null and email is not null and role in ('key_contact', 'deputy')
    group by urn
),
schools_now as (
    select s.urn, s.la_code, coalesce(s.la_name, s.la_code, 'its local authority') as la_name,
           c.key_email, c.deputy_email, l.email as lead_email, l.name as lead_name,
           s.status = 'Open' and s.in_register as open_school,
           s.la_code is distinct from home as out_of_county
    from schools s
    left join leads_now c on c.urn = s.urn
    left join la_leads l on l.la_code = s.la_code
),
school_routes as (
    select 'school:' || urn as target, urn, la_code,
           case when not open_school then 'blocked'
                when key_email is not null or deputy_email is not null then 'school'
                when out_of_county and lead_email is not null then 'la_lead'
                else 'blocked' end as kind,
           case when not open_school then null
                when key_email is not null then key_email
                when deputy_email is not null then deputy_email
                when out_of_county then lead_email end as to_email,
           case when open_school and key_email is not null then deputy_email end as cc_email,
           case when not open_school then 'the school is closed'
                when key_email is not null and deputy_email is not null then 'to the Key Contact, copied to the Deputy'
                when key_email is not null then 'to the Key Contact only: the school has no Deputy'
                when deputy_email is not null then 'to the Deputy only: the school has no Key Contact'
                when out_of_county and lead_email is not null
                    then 'out of county with no school contacts: to ' || la_name || '''s Operation Encompass lead ('
                         || lead_name || ')'
                when out_of_county then 'out of county (' || la_name || '): no school contacts and no LA lead'
                else 'no Key Contact and no Deputy' end as reason,
           case when open_school and key_email is null and deputy_email is not null then 'key_contact'
                when open_school and key_email is not null and deputy_email is null then 'deputy' end as missing_lead
    from schools_now
),
la_routes as (
    select 'la:' || la_code as target, null::integer as urn, la_code, 'la_lead' as kind, email as to_email,
           null::varchar as cc_email,
           'to ' || coalesce(la_name, la_code) || '''s Operation Encompass lead (' || name || ')' as reason,
           null::varchar as missing_lead
    from la_leads
),
ehe_route as (
    select 'ehe' as target, null::integer as urn, null::varchar as la_code, 'ehe' as kind,
           trim(ehe_email) as to_email, null::varchar as cc_email,
           'to the EHE / children-missing-education officer' || coalesce(' (' || nullif(trim(ehe_name), '') || ')', '')
               as reason,
           null::varchar as missing_lead
    where nullif(trim(coalesce(ehe_email, '')), '') is not null
)
select * from school_routes
union all select * from la_routes
union all select * from ehe_route;

-- The state of every child-incident, derived from the data and nothing else:
--   open:  needs_school, blocked, queued, failed, outcome_unknown
--   ended: sent, acknowledged, withdrawn, closed
-- A child leaves the open states only through a send or a person's recorded decision (a school chosen,
-- a notification withdrawn, the child-incident closed with a reason).
-- ids: the child-incidents wanted (a list, looked up through the indexes), or null for all of them.
create or replace macro child_state(home, ehe_email, ehe_name, ids) as table
select ci.id, ci.incident_id, ci.child_id, ci.target, ci.urn, ci.la_code, ci.match_status, ci.school_text,
       n.id as notification_id, n.status as notification_status, n.due_by, n.known_calendar, n.sent_at,
       r.kind as route_kind, r.to_email, r.cc_email, r.missing_lead,
       case when ci.closed_at is not null then 'closed'
            when ci.match_status in ('review', 'unknown') or ci.target is null then 'needs_school'
            when n.status = 'returned' then 'needs_school'
            when n.status = 'withdrawn' then 'withdrawn'
            when n.status = 'acknowledged' then 'acknowledged'
            when n.status = 'sent' then 'sent'
            when n.status = 'failed' then 'failed'
            when n.status = 'unknown' then 'outcome_unknown'
            when coalesce(r.kind, 'blocked') = 'blocked' then 'blocked'
            else 'queued' end as state,
       case when ci.closed_at is not null then 'closed by ' || ci.closed_by || ': ' || ci.closed_reason
            when ci.match_status in ('review', 'unknown') or ci.target is null
                then coalesce(ci.match_reason, 'the school needs a person')
            when n.status = 'returned' then 'the school said the child is not on its roll'
            when n.status = 'withdrawn' then 'withdrawn by ' || coalesce(n.closed_by, '?') || ': '
                                             || coalesce(n.closed_reason, 'no reason given')
            when n.status = 'acknowledged' then 'sent ' || strftime(n.sent_at, '%d/%m/%Y %H:%M') || '; the school replied'
            when n.status = 'sent' then 'sent ' || strftime(n.sent_at, '%d/%m/%Y %H:%M')
            when n.status = 'failed' then coalesce(n.last_error, 'the mail server did not take it')
            when n.status = 'unknown' then 'the send was interrupted after the message left: check whether it arrived'
            else coalesce(r.reason, no_route_reason(ci.target)) end as reason
from (
    select id, incident_id, child_id, match_status, match_reason, urn, la_code, closed_reason, closed_by, closed_at,
           school_text, ci_target(match_status, urn, la_code) as target
    from child_incidents
    where ids is null or id in (select unnest(ids))
) ci
left join (
    select * from notifications
    where kind in ('domestic_abuse', 'missing_child') and (ids is null or child_incident_id in (select unnest(ids)))
) n on n.child_incident_id = ci.id and n.target = ci.target
left join routes(home, ehe_email, ehe_name) r on r.target = ci.target;
