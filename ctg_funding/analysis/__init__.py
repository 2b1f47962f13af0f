"""Analysis of simulation results, as data: two allocations compared (`compare`), payments audited against the
rules in force each year (`audit`, R6), and the trail behind any amount (`explain`)."""
