-- Demo replies: the returns, some information for the triage, some acknowledgements.
insert into school_responses (id, notification_id, kind, note, recorded_by, recorded_at)
select row_number() over (order by n.id), n.id,
       case when n.status = 'returned' then 'not_at_school'
            when hash(n.id * 3) % 10 = 0 then 'triage_info' else 'acknowledged' end,
       case when hash(n.id * 3) % 10 = 0 and n.status <> 'returned'
            then 'School has noted recent changes in attendance (demo note).' end,
       'coordinator', n.sent_at + interval 2 hour
from notifications n
where n.status = 'returned' or hash(n.id * 3) % 4 = 0
