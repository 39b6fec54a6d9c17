"""Chat-ops: ``/bullets`` slash commands for Slack and Mattermost (routes in :mod:`service.http.routes.chatops`).

A command is verified (Slack signature / Mattermost token), acknowledged at once, worked on in the
background (the same rewrite pipeline and guard as the API) and answered at its ``response_url``.
An edge: may import the contract (the API's request models and runs), the rewrite, the core and the
settings; never the HTTP app (which serves the commands' routes) nor the other edges.
"""

from service.chatops._state import ChatopsState, ChatopsStats, JobRunner, chatops_state

__all__ = ["ChatopsState", "ChatopsStats", "JobRunner", "chatops_state"]
