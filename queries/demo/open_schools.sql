-- Open schools for demo children (mostly in the home LA; $home null: every open school).
select urn, name, phase_group
from schools
where status = 'Open' and in_register and ($home is null or la_code = $home or urn % 5 = 0)
order by urn
