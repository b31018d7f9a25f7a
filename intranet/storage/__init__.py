"""Files every host can read (foundation): uploaded documents and built files live in the database
(`stored_files`: PostgreSQL `bytea`, SQLite blob), never on one host's disk. `service.put` refuses a
file over its kind's size limit; `service.get`, `service.delete` and `service.download` do the rest."""
