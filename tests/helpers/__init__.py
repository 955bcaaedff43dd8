"""Code the tests share: paths, workflow drivers, input catalogues, fixtures.

Test modules import from here, never from each other; fixtures shared across tiers are
registered as plugins in tests/conftest.py."""
