"""Open data: the public catalogue (hubs, areas, services, activities, upcoming public meetings with
free places) as records for the JSON API and the CSV downloads.

Only what the public site already shows: no family, booking or staff data; private meetings (one
family's appointment) and the meetings of referral-only services never appear; unpublished activities
neither. Names of areas and services follow the request's language; everything else is the hub's own text.
"""
