"""Make moto_server's DynamoDB item operations atomic, as DynamoDB's are.

Loaded by the moto_server that local/moto.ts starts (it puts this folder on PYTHONPATH, and Python
imports `sitecustomize` at start-up). moto serves requests on threads, and its put_item, update_item
and delete_item read the item, evaluate the condition, then write and append the stream record, with
nothing holding other writers off in between: two conditional writes of one item can both pass the
same check, and both write and stream a record with the same old image. Taskpulse's optimistic
versioning, the aggregator's high-water tokens and the monitor's alert claims rely on DynamoDB's
atomic conditional writes, so this runs each item operation of the backend under one lock
(docs/decisions/0083-atomic-dynamodb-writes-in-moto.md). Reads take the lock too, so that no read
sees an item that update_item is changing in place.
"""

import functools
import sys
import threading

_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "get_item", "query", "scan")

try:
    from moto.dynamodb.models import DynamoDBBackend
except Exception as error:  # moto missing or reorganized: say so, run unpatched
    sys.stderr.write(f"taskpulse: DynamoDB writes in moto_server are not atomic ({error})\n")
else:
    _lock = threading.RLock()

    def _atomic(operation):
        @functools.wraps(operation)
        def locked(*args, **kwargs):
            with _lock:
                return operation(*args, **kwargs)

        return locked

    for _name in _OPERATIONS:
        setattr(DynamoDBBackend, _name, _atomic(getattr(DynamoDBBackend, _name)))
