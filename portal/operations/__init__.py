"""The staff's daily work: rosters and attendance, waiting lists and approvals, direct enrolment,
access requests, messages to families, exports and reports. Every function takes the signed-in
`Staff` and checks scope (404) and role (403) itself; seats change only through portal.booking."""
