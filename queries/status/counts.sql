select
    (select count(*) from schools where in_register) as schools,
    (select count(*) from sheets) as sheets,
    (select count(*) from children) as children,
    (select count(*) from incidents) as incidents,
    (select count(*) from child_incidents) as child_incidents,
    (select count(*) from child_incidents where match_status in ('review', 'unknown')) as needs_review,
    (select count(*) from users) as users
