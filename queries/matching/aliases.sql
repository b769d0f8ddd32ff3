-- Spellings a person has decided before: a school, no school or out of area; flagged once a school returned one.
select text_norm, outcome, urn, la_code, flagged from school_aliases
