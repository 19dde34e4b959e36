"""The LLM agents of Kraken Bot, built with pydantic-ai: one agent per module (classifier, docs
answerer, thread summariser, release-notes writer), their tools, model selection and the offline
model that answers from the documentation when no LLM is configured.

May import `domain`; never `application`, `slack`, `data`, `slack_bolt` or `slack_sdk`.
"""
