"""A meeting's agenda: ordered items with sub-items, their papers and their release."""
