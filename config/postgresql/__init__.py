"""Django's PostgreSQL backend, checking a connection's health without a round trip
(``config.postgresql.base``). Settings select it as the ``ENGINE`` for any PostgreSQL URL."""
