update sheets
set rows_total = $rows_total, imported = $imported, duplicates = $duplicates, rejected = $rejected
where id = $id
