select la_code, la_name, name, email, phone, updated_by, updated_at from la_leads order by la_name, la_code
