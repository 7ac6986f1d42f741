"""The committee's rules: drafts and adoption (``rulesets``), drafts as YAML or JSON text
(``text``, ``drafts``), documents read into engine values (``documents``), and what the
committee's pages read and decide (``committee``).
"""
