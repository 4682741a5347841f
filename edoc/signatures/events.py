"""The realtime events of batch signing, by name: the batch page's progress bar listens for these."""

SIGNING_PROGRESS = "signing.progress"
"""One more document of the batch was done (or refused): batch, done, total and the document's outcome."""
SIGNING_DONE = "signing.done"
"""The whole batch is done: batch."""
