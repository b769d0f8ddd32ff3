select id, batch_id, child_incident_id from notifications where status = 'sending' order by id
