-- Child-incidents in each state, over all of them.
select state, count(*) from child_state($home, $ehe_email, $ehe_name, null) group by state
