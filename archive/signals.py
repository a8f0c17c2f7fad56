"""What the archive announces, so that other apps (search) can follow without being imported.

`articles_changed` is sent with `ids` after articles and their mentions are stored or edited;
`articles_deleted` with `ids` after articles are removed. Both are sent once per batch.
"""

from django.dispatch import Signal

articles_changed = Signal()
articles_deleted = Signal()
