select kind, to_email, cc_email, reason, missing_lead
from routes($home, $ehe_email, $ehe_name)
where target = 'school:' || $urn
