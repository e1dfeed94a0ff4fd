"""A deterministic demo township (青峰镇, 通江县) to judge the product by.

`generate_demo(session)` fills an empty database with villages, doctors, households,
residents and a year of field records, including the gaps and suspicious patterns the
township's quality checks are meant to find. It never imports Flask.
"""
from server.demo.generate import DEFAULT_TODAY, DEMO_PASSWORD, generate_demo

__all__ = ["DEFAULT_TODAY", "DEMO_PASSWORD", "generate_demo"]
