"""WebSocket routes (filled by the stream consumer)."""
websocket_urlpatterns: list = []
