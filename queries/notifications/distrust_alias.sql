-- The spelling that sent a child to the wrong school is no longer trusted without a person.
update school_aliases set flagged = true
where text_norm = (select school_norm from child_incidents where id = $ci)
  and outcome = 'school' and urn = $urn
