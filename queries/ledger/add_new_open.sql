-- Child-incidents this transaction created: none can be in the index yet, so no ON CONFLICT (it costs as much
-- as the index is big, and the primary key still guards).
insert into ledger_open select unnest($ids::integer[])
