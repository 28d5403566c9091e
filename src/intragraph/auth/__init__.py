"""Applications, their OAuth2 client-credentials tokens, scopes and rate limits."""
