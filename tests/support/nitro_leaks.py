"""A pytest plugin (listed in the root conftest.py): a leaked transport,
socket or file fails the suite, reported by the test module that leaked it.

Python warns ``ResourceWarning: unclosed transport ...`` from ``__del__`` when such an
object is garbage-collected. The suite's ``filterwarnings = ["error"]`` makes that
warning an exception there; Python cannot raise it from ``__del__`` (it is
"unraisable"), and pytest's unraisable-exception plugin turns it into a
``PytestUnraisableExceptionWarning``, an error of the test running at that moment.

Objects kept alive by a reference cycle (an asyncio transport and its protocol, for
one) are only freed by the garbage collector, which runs whenever it likes: possibly
inside pytest's own code at the end of the session, where the error surfaces as an
unrelated crash. So the garbage is collected after every test module (its last test's
teardown reports the leak) and once more when the session finishes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage_after_the_module() -> Iterator[None]:
    yield
    gc.collect()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    gc.collect()
