select id, filename, source, imported_at, imported_by, rows_total, imported, duplicates, rejected
from sheets
order by imported_at desc, id desc
limit $limit
