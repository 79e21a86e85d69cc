"""Geo core: coordinate systems, road-network reading, and travel-time routing.

Used by domains (roads, tracking, incidents, grids); imports none of them.
"""
