"""The Slack interface of Kraken Bot: the slack-bolt `AsyncApp` and its listeners, the async
Events API view, the Socket Mode runner, Block Kit rendering and the Slack implementation of the
application's chat port.

May import `application` and `domain`; the only package of ours that may import `slack_bolt` and
`slack_sdk`. Note that slack_sdk ships a deprecated top-level module also named `slack`: this
package shadows it because the project runs from its source tree (a test checks it).
"""
