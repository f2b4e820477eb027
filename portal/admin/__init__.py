"""Staff set-up: hubs, activities, meetings and series, capacity, staff accounts."""
