"""Helpers of the tests (not tests): the YAML case runner, CAB dataset copies and exports, hypothesis strategies."""
