"""A fake Zalo Bot Platform API for tests (see server.py)."""
