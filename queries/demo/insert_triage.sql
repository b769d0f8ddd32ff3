-- Demo triage history: a decision for every Level 2 and 3 incident before the last few days.
insert into triage_decisions (incident_id, meeting_date, agreed_level, outcome, rationale, decided_by, decided_at)
select id, incident_at::date + 1,
       greatest(1, least(4, level + case hash(id) % 5 when 0 then -1 when 1 then 1 else 0 end)),
       ['No further action', 'Early-help offer', 'Referral to children''s social care', 'Strategy discussion',
        'Referral to the domestic-abuse service', 'MARAC referral', 'School to monitor'][cast(1 + hash(id * 11) % 7 as bigint)],
       'Demo decision.', 'triage-police', incident_at + interval 1 day
from incidents
where level in (2, 3) and incident_at::date < $before
