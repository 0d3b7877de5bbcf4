"""Kênh Chính Thức: the current official information channels of Vietnam's provinces."""
