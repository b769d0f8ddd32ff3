select id, filename, imported_at, imported_by, rows_total, imported, duplicates, rejected
from sheets
where imported_at::date = $day
order by imported_at desc, id desc
