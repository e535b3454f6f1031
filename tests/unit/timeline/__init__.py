"""Tests of monitoring.timeline."""
