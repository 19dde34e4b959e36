"""What the tests and the benchmark both need, so that neither imports the other.

The real HTTP servers that stand in for the network edge on 127.0.0.1 (Slack's Web API, an
OpenAI-compatible model), and what it takes to start the service and drive it: signed Slack
payloads, the served processes, waiting for what they do. Also the in-process stand-ins for a
port (a chat, a search) that the benchmark's own tests use as the suite does. The service itself
never imports this package (import-linter).
"""
