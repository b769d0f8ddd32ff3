-- Which school replaced a closed one (the latest link wins).
select urn, link_urn from school_links where link_type like 'Successor%' order by link_date nulls first
