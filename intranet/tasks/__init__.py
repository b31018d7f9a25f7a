"""Background tasks (foundation): heavy work runs in `tongbao worker` processes, never in a web worker.

The database row (`Task`) is the truth: what to do, its state, its lease and its progress. Huey
(SQLite file under the instance folder, or Redis when `TONGBAO_REDIS_URL` is set) only carries the
row's id to a worker. Huey does not acknowledge tasks, so a worker killed mid-task loses its Huey
message; the row's lease then runs out and any worker's reaper hands the task out again. Every
handler is idempotent: it reads the domain state first and does only what is still undone."""
