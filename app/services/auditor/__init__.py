"""The auditor's use cases: verifications and exports run as background jobs (``jobs``),
asked for from the pages (``requests``), and a member's statement proof and the witness
file (``statement_proofs``). The verifier itself is app.audit.
"""
