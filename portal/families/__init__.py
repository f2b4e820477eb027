"""Families' own data: profile, household members, e-mail change, data download and erasure."""
