"""Task heads attached to the EveNet body by name (see evenet.model.head_registry)."""
