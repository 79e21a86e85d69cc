"""Grid duty (网格化勤务): the grids a squadron's area is divided into and how they are designed."""
