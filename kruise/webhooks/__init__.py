"""Admission webhooks: the HTTPS server, its certificates, and their registration."""
