select count(*) filter (where notification_status = 'sent') as sent
from facts
where day between $from and $to
