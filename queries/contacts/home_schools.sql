select count(*) from schools where status = 'Open' and in_register and la_code = $home
