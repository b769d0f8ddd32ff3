select id, batch_id from notifications where status = 'sending' order by id
