-- Open schools by part of the name, URN, town or postcode.
select urn, name, town, postcode, la_name, phase_group
from schools
where status = 'Open' and in_register
  and ($q = ''
       or name ilike '%' || $q || '%'
       or urn::varchar = $q
       or town ilike '%' || $q || '%'
       or replace(postcode, ' ', '') ilike '%' || replace($q, ' ', '') || '%')
order by name, urn
limit $limit
