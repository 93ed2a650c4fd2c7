"""Workspace-wide pytest setup: the real-service fixtures (see tests/support)."""

pytest_plugins = ["nitro_test_services", "nitro_datastar"]
