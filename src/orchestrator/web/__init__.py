"""``orchestrator web``: a read-only, live page of the coordination folder.

``folder`` reads the files (through the store, never writing), ``digest`` decides what the
page says (pure), ``eventlog`` pages and follows the events file, ``svg`` and ``pages`` draw,
``app`` serves it all with Starlette.
"""
