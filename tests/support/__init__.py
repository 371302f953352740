"""Helpers of the tests and the benchmarks, imported one way: ``from support import tiny_models``,
``from support.hub_server import HubServer``. Fixtures live in the conftest files only."""
