-- Open child-incidents that the index of open work does not hold (there should be none).
select id from child_state($home, $ehe_email, $ehe_name, null)
where state in ('needs_school', 'blocked', 'queued', 'failed', 'outcome_unknown')
  and id not in (select child_incident_id from ledger_open)
