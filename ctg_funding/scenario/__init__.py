"""Scenarios: the scenario file checked against its dataset and rulebook (`file`), and what its dated changes do
to each structure, year by year (`structure_years`)."""
