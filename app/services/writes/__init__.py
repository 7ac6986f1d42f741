"""How a write reaches the books: ``execute`` (one command, one transaction, appended to
the journal, idempotent by key); a merchant's charges recorded in groups (``group_commit``),
a single charge being a group of one, with SQLite and PostgreSQL behind one storage interface
(``purchase_store``); the charge writer process of a PostgreSQL server (``charge_link``); the
in-process gate in front of the writer lock (``writer_gate``) and the idle-thread queue they
share (``idle_thread``). Use cases (the other modules of app.services) call these; nothing
here decides what a fund does.
"""
