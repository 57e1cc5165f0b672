"""The paper path: batches of printed forms followed from printer to shredder (custody), their
serials, the keying of what visitors wrote (keying, handwriting) and the second keying that
checks it (double entry)."""
from __future__ import annotations


class PaperError(ValueError):
    """A refusal with a message for the user (a bad serial, a wrong step in the custody chain)."""
