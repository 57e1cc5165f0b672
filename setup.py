"""Shim for tools that still look for setup.py; the metadata is in setup.cfg."""
from setuptools import setup

setup()
