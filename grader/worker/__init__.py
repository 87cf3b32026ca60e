"""The process that runs one test (``worker.py``), how the engine starts it quickly (``forkserver.py``,
``trampoline.py``), and the protocol between the two (``protocol.py``)."""
