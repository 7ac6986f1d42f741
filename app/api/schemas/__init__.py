"""API contracts (pydantic v2). Every field has a description, an example and a unit.

Money is integer cents (``*_cents``); no field anywhere is a float.
"""
