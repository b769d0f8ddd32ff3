-- Take notifications for this batch. Only rows still in a claimable state move: a second click,
-- tab or process finds nothing left to take.
update notifications
set status = 'sending', batch_id = $batch, attempts = attempts + 1, claimed_by = $username, claimed_at = $now
where id in (select unnest($ids::integer[]))
  and status in (select unnest($statuses::varchar[]))
returning id
