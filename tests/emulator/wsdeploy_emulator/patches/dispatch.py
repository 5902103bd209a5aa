"""Per-request work of moto's server that gives the same answer every time,
done once.

- ``moto.backends.list_of_moto_modules`` lists moto's package directory on
  disk (a ``listdir`` and a ``stat`` per entry, some 200 of them). moto's
  dispatcher calls it twice for every request to ask whether the host names
  a service; the directory does not change while the emulator runs, so the
  list is read once.
- ``BaseResponse.call_action`` asks ``inspect.getmembers`` for the method
  names of the response class on every request; the names are kept per
  class. They are read on a class's first request, which comes after
  ``install`` has added wsdeploy's operations to it.

Together these were about a third of the emulator's time per request, all of
it under the lock every request takes in turn (docs/testing.md): requests
sent together waited for each other's directory listings. Nothing a client
sees changes.
"""

from __future__ import annotations

import functools

from moto import backends
from moto.core import responses, utils

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = functools.cache(utils.method_names_from_class)
    _installed = True
