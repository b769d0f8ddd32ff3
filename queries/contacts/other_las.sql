-- Local authorities of schools in the register other than the home one.
select distinct la_code, la_name
from schools
where in_register and la_code is not null and la_code <> $home
order by la_name
