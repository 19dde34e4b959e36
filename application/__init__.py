"""Use cases of Kraken Bot: answering a user, writing release notes, indexing documents, recovering
questions; and the ports (`typing.Protocol`s) they need from the outside world, such as the chat
port through which they talk to Slack, the console or a test fake.

May import `agents` and `domain`; never `slack`, `slack_bolt`, `slack_sdk`, `data` or `kraken_bot`.
"""
