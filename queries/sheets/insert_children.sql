-- One identity per child: the normalised name and the date of birth (frame new_children: not known yet).
insert into children (forename, surname, dob, name_key, first_seen)
select any_value(forename), any_value(surname), dob, name_key, $now
from new_children
group by name_key, dob
returning id, name_key, dob
