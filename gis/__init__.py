"""Coordinate systems, ground measurement, the database and file readers."""
