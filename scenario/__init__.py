"""Scenarios that drive the product through its public APIs, as real clients would."""
