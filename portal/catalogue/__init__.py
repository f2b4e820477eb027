"""The public catalogue: hubs, areas, services, activities and their meetings, as families find them."""
