-- Demo replies: the returns, some information for the triage, some acknowledgements (which mark the
-- notification acknowledged).
insert into school_responses (notification_id, kind, note, recorded_by, recorded_at)
select n.id,
       case when n.status = 'returned' then 'not_at_school'
            when hash(n.id * 3) % 10 = 0 then 'triage_info' else 'acknowledged' end,
       case when hash(n.id * 3) % 10 = 0 and n.status <> 'returned'
            then 'School has noted recent changes in attendance (demo note).' end,
       'coordinator', n.sent_at + interval 2 hour
from notifications n
where n.kind in ('domestic_abuse', 'missing_child') and n.urn is not null
  and (n.status = 'returned' or hash(n.id * 3) % 4 = 0)
order by n.id
