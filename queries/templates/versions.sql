select version, subject, body_text, body_html, created_by, created_at
from templates
where name = $name
order by version desc
