"""The use cases: what the HTTP API, the pages and the command line all call."""
