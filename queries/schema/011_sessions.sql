-- Server-side sessions: the browser's cookie carries only a session's id, signed; the server decides whether
-- it is still good (not ended by a logout, a password change, a disabled account or an administrator, not
-- idle too long, not past its lifetime), whatever the cookie claims.
create table sessions (
    id_hash     varchar primary key,      -- sha256 of the session id: the id itself is never stored
    username    varchar not null,
    client      varchar,
    created_at  timestamp not null,
    last_seen   timestamp not null,
    ended_at    timestamp,
    ended_why   varchar                   -- logout / password changed / disabled / signed out everywhere / idle / lifetime
);
create index sessions_username on sessions(username);

-- A login attempt is counted before its password is checked (succeeded null until then), per username and
-- per client.
alter table login_attempts add column client varchar;
alter table login_attempts alter column succeeded drop not null;

alter table users add column password_changed_at timestamp;
alter table users add column must_change_password boolean not null default false;
