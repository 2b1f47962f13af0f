"""Outputs: what each command shows, as JSON-ready data and tables (`validate`, `simulate`, `compare`, `audit`,
`explain`, `rules`), the recorded arithmetic in words (`trace_text`), the comparison as an HTML page
(`html_compare`), and the writers for the terminal, CSV, JSON and xlsx (`writers`). Money is formatted by
`ctg_funding.money`."""
