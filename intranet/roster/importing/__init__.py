"""Roster import: read .xlsx/.csv safely, map headers, validate every row, write in bulk.

`service.check_file` is the dry run (nothing written); `service.apply_check` writes the good rows
in one transaction; `jobs` runs both in the background for the web upload. The CLI's
`service.import_file` checks and writes in one pass (one transaction; `writer` upserts each checked
batch set-based before the next is read)."""
