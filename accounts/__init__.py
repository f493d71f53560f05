"""Signing in beyond the password: password reset by e-mail and the optional TOTP second factor."""
