insert into ledger_open select distinct unnest($ids::integer[]) on conflict do nothing
