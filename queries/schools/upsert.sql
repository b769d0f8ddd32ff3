-- Schools from a register extract (registered as the frame register_schools), inserted or updated in place.
insert into schools (urn, name, name_norm, la_code, la_name, type, status, phase, phase_group,
                     low_age, high_age, town, postcode, la_inferred, in_register, updated_at)
select urn, name, name_norm, la_code, la_name, type, status, phase, phase_group,
       low_age, high_age, town, postcode, la_inferred, in_register, updated_at
from register_schools
on conflict (urn) do update set
    name = excluded.name, name_norm = excluded.name_norm, la_code = excluded.la_code,
    la_name = excluded.la_name, type = excluded.type, status = excluded.status,
    phase = excluded.phase, phase_group = excluded.phase_group, low_age = excluded.low_age,
    high_age = excluded.high_age, town = excluded.town, postcode = excluded.postcode,
    la_inferred = excluded.la_inferred, in_register = excluded.in_register,
    updated_at = excluded.updated_at
