-- The state alone of the given child-incidents (what keeping ledger_open in step needs).
select id, state from child_state($home, $ehe_email, $ehe_name, $ids::integer[])
