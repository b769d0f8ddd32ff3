insert into calendar_periods (academic_year, kind, name, start_date, end_date, note)
values (?, ?, ?, ?, ?, ?)
