"""Shared entities and fixtures of nitro-admin's tests."""

from __future__ import annotations

import sys
from pathlib import Path

# The shared HTTP suite (nitro_admin_suite.py) sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))
