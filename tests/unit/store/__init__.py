"""Tests of monitoring.store."""
