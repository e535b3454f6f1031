"""Tests of monitoring.cli."""
