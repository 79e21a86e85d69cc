"""patrolgrid: operations platform for a county traffic-police brigade."""

__version__ = "0.1.0"
