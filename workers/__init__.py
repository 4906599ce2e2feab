"""Workers: the page pipeline (``workers.ocr``: no database, no Redis) and the job
orchestration that runs it on RQ (``workers.jobs``: queue consumers, the document job,
the reconciler, indexing). No web framework here.
"""
