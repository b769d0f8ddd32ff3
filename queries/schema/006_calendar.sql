-- Bank holidays come from the `holidays` package for any year (encompass/calendar.py), not from a
-- table filled only for the years of an imported term calendar.
drop table bank_holidays;
