"""Charts as hand-written, deterministic SVG: the frame every chart shares (``frame``),
the impact of a rule change (``impact``) and the research charts (``research``).
"""
