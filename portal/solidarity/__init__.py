"""Family solidarity: volunteer families' offers, staff review, needs, matching and its report."""
