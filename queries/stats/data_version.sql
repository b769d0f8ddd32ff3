-- Every change to the data writes an audit entry: the newest entry's id versions the statistics.
select coalesce(max(id), 0) from audit_log
