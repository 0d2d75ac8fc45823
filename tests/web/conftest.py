"""The service fixtures of ``api.support``."""

from api.support import client, repo, tokens

__all__ = ["client", "repo", "tokens"]
