"""Tests in a real browser: Playwright driving Debian's Chromium (see conftest.py)."""
