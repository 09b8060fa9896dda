"""Helpers the tests and the benches share (dev only, never in an image): the in-process bot
harness, real bot processes, the fake Slack as replicas see it, a TCP proxy, PostgreSQL
databases and clusters, and bulk data. Imports the project, never tests/ or bench/."""
