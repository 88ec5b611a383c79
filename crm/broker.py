"""kombu's filesystem transport with messages written atomically.

The stock transport opens the message file under its final name and then writes it; a
worker polling the folder can move and read the file in between, get an empty message,
and die with "Unrecoverable error: JSONDecodeError". Here the message is written under a
name the worker ignores and renamed into place once complete (a rename is atomic).
Used only for local runs without Redis (settings: CELERY_BROKER_TRANSPORT).
"""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The stock transport's name: time first, so messages are read in order.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # "….msg.part" does not end in ".<queue>.msg", so no worker picks it up.
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
