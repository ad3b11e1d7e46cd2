"""Orchestrator: reads a customer message and decides what to do with it."""
