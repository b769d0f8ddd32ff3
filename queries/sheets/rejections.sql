select row_number as row, field, reason
from rejected_rows
where sheet_id = $sheet_id
order by row_number
