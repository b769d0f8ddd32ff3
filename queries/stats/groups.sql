-- The (day, school, level, DASH risk) groups of the facts of the child-incidents in stats_scope, added to
-- stats_groups: called before their facts are replaced and again after, so that a fact that moved (a person
-- chose its school) is taken out of its old group's counts and into its new one's.
insert into stats_groups
select distinct day, urn, level, dash_risk from stats_facts where ci_id in (select ci_id from stats_scope)
except
select day, urn, level, dash_risk from stats_groups
