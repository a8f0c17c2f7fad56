import pytest

from tests.factories import make_article


@pytest.fixture
def newsroom():
    make_article(
        "Dock strike halts Lisbon port",
        person=("Rui Tavares", "Helena Moura"),
        place=("Lisbon",),
        organization=("Atlantic Dockworkers Union",),
    )
    make_article(
        "Moura backs port fund",
        person=("H. Moura",),
        place=("Lisbon", "Sines"),
        organization=("European Investment Bank",),
    )
    make_article("Sines terminal reopens", place=("Sines",), organization=("Sines Port Agency",))
