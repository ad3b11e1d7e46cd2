"""The local stack: embedded Postgres, the Pub/Sub emulator, every function, and sandboxes."""
