-- What the mail server said about each recipient of each message: accepted, refused (with its answer), or
-- unknown (the conversation broke after the message left). A message accepted by one lead is sent; the
-- address refused goes on the attention list; nobody who accepted a message is ever sent it again.
create table notification_recipients (
    notification_id  integer not null,
    address          varchar not null,
    role             varchar not null,        -- to / cc
    outcome          varchar not null,        -- accepted / refused / unknown
    detail           varchar,
    recorded_at      timestamp not null
);
create index notification_recipients_notification on notification_recipients(notification_id);
