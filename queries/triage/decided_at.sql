select incident_id from triage_decisions where meeting_date = $meeting
