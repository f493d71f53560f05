"""The API's endpoints, one module per resource; each is thin: selectors to read, services to write."""
