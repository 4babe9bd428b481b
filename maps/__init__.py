"""Folium maps of the planning layers."""
