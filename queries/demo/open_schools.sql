-- Open schools to give demo children, mostly in the home local authority.
select urn, name, phase_group
from schools
where status = 'Open' and in_register and (la_code = $home or urn % 5 = 0)
order by urn
