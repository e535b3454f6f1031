"""Uploaded files: checked against a model's spec, compared with the reference, kept as slices.

Entry points: :func:`~monitoring.uploads.check.check_slice`,
:func:`~monitoring.uploads.slices.save_checked`,
:func:`~monitoring.uploads.compare.compare_slice` and
:func:`~monitoring.uploads.compare.compare_file`.
"""
