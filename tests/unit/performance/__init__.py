"""Tests of monitoring.performance."""
