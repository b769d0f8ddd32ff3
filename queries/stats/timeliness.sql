-- By month: hours from incident to sheet and from sheet to sent, and the share sent before the school day.
select date_trunc('month', day)::date as month,
       median(date_diff('minute', incident_at, imported_at)) / 60.0 as hours_incident_to_sheet,
       median(date_diff('minute', imported_at, sent_at)) / 60.0 as hours_sheet_to_sent,
       count(*) filter (where sent_at is not null) as sent,
       count(*) filter (where sent_at is not null and sent_at <= due_by) as sent_on_time
from facts
where day between $from and $to
group by 1
order by 1
