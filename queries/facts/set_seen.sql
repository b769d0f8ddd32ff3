update child_incidents set seen_12m = f.seen_12m from seen_facts f where child_incidents.id = f.id
