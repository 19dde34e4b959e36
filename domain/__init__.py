"""The domain layer: frozen dataclasses for what the rest of the code needs, async `queries`
(reads, named for what they return) and `operations` (writes, named for what they do) over the
models, and document search.

No ORM object leaves this package: reads return dataclasses and writes take and return them.
May import `data`; never `pydantic_ai`, `slack_bolt`, `slack_sdk` or the layers above.
"""
