"""Test helpers for projects that use dj-plaid: the emulator fixtures and webhook signing."""
