"""Poli per le Famiglie: booking portal for a city's family hubs."""
