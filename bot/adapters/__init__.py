"""Platform adapters: each folder translates one platform's payloads to service calls and back."""
