"""HTTP routers of the service."""
