"""Workspace-wide pytest setup: the real-service fixtures and the leak check (see
tests/support)."""

pytest_plugins = ["nitro_test_services", "nitro_datastar", "nitro_leaks"]
