-- One identity per child: the normalised name and the date of birth.
insert into children (forename, surname, dob, name_key, first_seen)
select any_value(forename), any_value(surname), dob, name_key, $now
from sheet_rows s
where not exists (select 1 from children c where c.name_key = s.name_key and c.dob = s.dob)
group by name_key, dob
