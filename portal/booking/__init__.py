"""Bookings: the pure rules (rules.py) and the one write path for seats (service.py)."""
