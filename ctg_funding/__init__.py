"""ctg_funding: the bonus territoire CTG that the Caf pay to childcare and youth structures, as rules kept as data.

The package is laid out as its pipeline: `inputs` (datasets) and `rulebook` (rules/) at the bottom, then
`scenario` (changes, structure-years), `engine` (the rules evaluated), `allocation` (envelopes shared, one policy),
`simulation`, `analysis` (compare, audit, explain), `output` (what each command shows) and `cli` on top; `money`,
`errors` and `strict_yaml` underneath everything.
"""
