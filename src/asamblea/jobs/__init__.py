"""Long work in chunks: ``enqueue(name, **args)``, a job's progress, and who runs the chunks.

A job kind (``@kind``) splits its work into chunks at enqueue time; each chunk runs in its own
transaction, which also marks the chunk done. A chunk already marked is skipped, so a chunk whose
worker died is simply run again and nothing it wrote is written twice (docs/adr/0016-task-queue.md).

With ``ASAMBLEA_QUEUE`` unset (the demo, the tests) the chunks run in this process right after the
enqueuing transaction commits; with ``ASAMBLEA_QUEUE=procrastinate`` they go to Procrastinate's
queue in PostgreSQL and ``asamblea worker`` processes run them.
"""
