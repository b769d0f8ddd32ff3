select agency, status, attendee, recorded_by, recorded_at
from triage_attendance
where meeting_date = $meeting
