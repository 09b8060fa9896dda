"""Serving: HTTP and Socket Mode, the request guard, health and metrics."""
