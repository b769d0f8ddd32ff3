select name, version, subject, body_text, body_html
from templates
where name = $name
order by version desc
limit 1
