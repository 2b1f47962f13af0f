"""Allocation: each family's envelope shared among its structures (R1, R3, R4) and the new-places lines (R5).

One policy (`policy`) decides per family and year the method, the floor, where released amounts go and which rules
each amount cites. Two allocators apply it and give the same cents: the exact reference (`exact`) and the vector
one for national scale (`vector`). Both record their figures on the results (`results`), from which `trace`
rebuilds the arithmetic of any amount. R5 is `new_places`.
"""
