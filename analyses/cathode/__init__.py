"""CATHODE-style Upsilon search with EveNet as the background generator (docs/cathode.md)."""
