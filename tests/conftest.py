"""Shared fixtures: every test starts and ends with empty caches."""
import pytest

import framejit


@pytest.fixture(autouse=True)
def _fresh_caches():
    framejit.reset()
    yield
    framejit.reset()
