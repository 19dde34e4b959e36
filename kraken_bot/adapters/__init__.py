"""Adapters that reach outside the process for the use cases, other than Slack: git (run as an
async subprocess), GitHub's REST API (httpx) and the terminal (confirmation, progress).

They live in the entry-point layer, the composition root, because that is the one layer allowed to
import both what they implement (the ports in `application`) and what they produce (`domain`
values), and because only entry points choose and wire them: the use cases see them only as
`typing.Protocol`s, so `application`, `agents` and `domain` stay free of subprocesses, HTTP and
terminals. `slack/` would be wrong: it is the Slack interface, and these have nothing of Slack.
"""
