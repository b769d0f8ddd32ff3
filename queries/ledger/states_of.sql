-- The derived state of the given child-incidents.
select * from child_state($home, $ehe_email, $ehe_name, $ids::integer[])
