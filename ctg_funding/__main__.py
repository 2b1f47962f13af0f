"""`python -m ctg_funding`: the same as the `ctg` command."""

from .cli import main

main()
