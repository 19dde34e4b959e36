"""What the tests and the benchmark both need, so that neither imports the other.

The real HTTP servers that stand in for the network edge on 127.0.0.1 (Slack's Web API, an
OpenAI-compatible model), and what it takes to start the service and drive it. The service itself
never imports this package (import-linter).
"""
