-- GIAS links (registered as the frame register_links), inserted or updated in place.
insert into school_links (urn, link_urn, link_type, link_date)
select urn, link_urn, link_type, link_date from register_links
on conflict (urn, link_urn, link_type) do update set link_date = excluded.link_date
