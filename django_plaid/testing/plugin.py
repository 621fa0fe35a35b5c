"""pytest plugin (entry point ``pytest11``): fixtures that start the Plaid emulator."""
