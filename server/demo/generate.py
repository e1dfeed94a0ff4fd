"""stub"""
import datetime
DEMO_PASSWORD = "demo1234"
DEFAULT_TODAY = datetime.date(2026, 11, 23)


def generate_demo():
    """Stub."""
