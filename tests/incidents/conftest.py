"""The river town of tests/river_town.py for every test here."""

from tests.river_town import town  # noqa: F401 - the fixture
