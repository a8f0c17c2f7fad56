"""What the archive announces, so that other apps (search) can follow without being imported.

`articles_changed` is sent with `ids` when articles, or their entities, are stored, edited or
deleted (ids of deleted articles included), once per batch. Sent inside a transaction, it
takes effect when the transaction commits, together with any single edits made in it.
A bulk import may send its batches with `bulk=True`, outside any transaction: they may then
be indexed in the background until the next send without it, which the import makes last
(with no ids if none are left), so that all is searchable when it reports.
A curator's edit sends with `edit=True`: if it touches many articles, they may be indexed in
the background once it commits, so that the click answers at once.
`indexing_failed` comes back when the change could not be indexed, so an import can say so.
"""

from django.dispatch import Signal

articles_changed = Signal()
# Sent by whoever keeps an index when it could not follow a change: `ids`, `error` (a message).
indexing_failed = Signal()
