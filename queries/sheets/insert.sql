insert into sheets (filename, content_hash, source, imported_at, imported_by, rows_total, imported, duplicates, rejected)
values ($filename, $content_hash, $source, $now, $username, 0, 0, 0, 0)
returning id
