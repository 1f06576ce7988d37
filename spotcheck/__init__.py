"""Spotcheck (随机抽查监管平台): verifiable random spot checks, 双随机、一公开.

This package's top level imports nothing from Django, so that
``python -m spotcheck.verify RECORD.json`` runs from the package alone.
"""

__version__ = "0.1.0"
