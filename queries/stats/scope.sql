-- The child-incidents whose statistics facts are being recomputed (see stats.refresh).
create or replace temp table stats_scope as select unnest($ids::integer[]) as ci_id
