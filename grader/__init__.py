"""sockgrade: grade socket-programming homework by talking to it over real sockets."""

__version__ = "0.1.0"
