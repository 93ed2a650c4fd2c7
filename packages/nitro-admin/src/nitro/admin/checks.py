"""Start-up checks of every admin option, each problem with a stable ID.

Mounting the admin runs :func:`run_checks` and raises
:class:`~nitro.admin.AdminConfigurationError` listing *every* problem at once, such as::

    admin.E003: The value of 'search_fields[1]' refers to 'emial', which is not a field
    of 'User'.

IDs are never reused; the table of IDs is in ``docs/admin.md``. One ``_check_<option>``
function per option (:mod:`nitro.admin._checks_entity`), the site-wide checks in
:mod:`nitro.admin._checks_site`; the wording comes from the shared helpers of
:mod:`nitro.admin._checks_base`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nitro.admin._checks_base import CheckMessage as CheckMessage
from nitro.admin._checks_base import must_be as must_be
from nitro.admin._checks_base import refer_to_missing_field as refer_to_missing_field
from nitro.admin._checks_entity import ENTITY_CHECKS as ENTITY_CHECKS
from nitro.admin._checks_entity import RESERVED_QUERY_KEYS as RESERVED_QUERY_KEYS
from nitro.admin._checks_entity import WIDGET_KINDS as WIDGET_KINDS
from nitro.admin._checks_site import MIN_SECRET_LENGTH as MIN_SECRET_LENGTH
from nitro.admin._checks_site import _check_jobs, _check_site

if TYPE_CHECKING:
    from nitro.admin.site import Admin

__all__ = ["RESERVED_QUERY_KEYS", "CheckMessage", "run_checks"]


def run_checks(site: Admin) -> list[CheckMessage]:
    """Every problem of *site* and of each registered entity's options."""
    messages = _check_site(site) + _check_jobs(site)
    for entity_admin in site.registry.values():
        for check in ENTITY_CHECKS:
            messages.extend(check(entity_admin))
    return messages
