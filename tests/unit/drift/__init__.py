"""Tests of monitoring.drift."""
