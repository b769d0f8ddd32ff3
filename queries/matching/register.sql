-- Every school the matcher can name, in URN order (ties between equally good names then come out the same way
-- every time).
select urn, name, name_norm, status, phase_group, in_register, town, locality, postcode, low_age, high_age
from schools
order by urn
