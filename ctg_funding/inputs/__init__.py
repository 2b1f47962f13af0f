"""Inputs: reading and checking datasets. Raw text tables from CSV files and workbooks (`tables`), one cell parsed
at a time (`cells`), rows checked and typed (`readers`) into the models of `model`, a whole dataset (`dataset`),
and synthetic national datasets for scale runs (`generate`)."""
