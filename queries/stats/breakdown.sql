-- Children by one dimension: school, phase, in/out of county, DASH risk or level.
select case $dim
           when 'school' then coalesce(school, 'No school')
           when 'phase' then coalesce(phase_group, 'no school')
           when 'county' then case when la_code is null then 'no school'
                                   when la_code = $home then 'in county' else 'out of county' end
           when 'dash' then coalesce(dash_risk, 'not given')
           when 'level' then coalesce('Level ' || level::varchar, 'not given')
       end as key,
       sum(children)::bigint as children
from daily
where day between $from and $to
group by 1
order by children desc, key
