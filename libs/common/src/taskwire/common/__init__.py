"""Mechanisms shared by the Taskwire services; no domain rules live here."""
