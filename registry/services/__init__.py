"""The operations of the registry. Services flush, never commit: views own the transaction."""
