-- A URN with a successor link has been replaced (academy conversion, merger).
update schools set status = 'Closed'
where status <> 'Closed'
  and urn in (select urn from school_links where link_type like 'Successor%')
