"""drift/detectors"""
