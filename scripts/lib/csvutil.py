"""CSV helpers shared by plots.py and report.py (both read results/<study>/*.csv)."""
import csv
import math


def read(path):
    """Rows of a CSV file as dicts; [] when the file is missing."""
    try:
        with open(path) as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def num(x):
    """A finite float, or None for empty, non-numeric, inf or nan cells."""
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None
