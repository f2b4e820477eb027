"""The household file (presa in carico del nucleo): one page where a hub's staff see a whole family across
services — members, a timeline of everything the portal knows, the key worker per hub, the hub's notes
of its contacts and the referrals in the territorial network.

Privacy is the feature (DESIGN §5): a household outside one's hubs does not exist (404); every opening
of a file and every note read is audit-logged; notes are read only by the staff of the note's hub;
details of separation services reach only the staff of the hub that runs them; nothing of the file goes
into feeds, exports or mail. The family's data download includes its file (see `download`)."""
