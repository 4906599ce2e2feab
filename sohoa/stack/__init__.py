"""``sohoa run``: the embedded stack's supervisor (``run.py``), its checks before start
(``bootstrap.py``), the local Redis it starts (``localredis.py``) and the child-process
supervisor (``supervisor.py``). A leaf: only the CLI imports it."""
