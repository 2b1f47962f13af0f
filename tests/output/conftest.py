"""What the output tests share: the interface in French for one test (English again after it)."""

import pytest

from ctg_funding import i18n


@pytest.fixture
def french():
    i18n.set_language("fr")
    yield
    i18n.set_language("en")
