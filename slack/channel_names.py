"""What Slack says of a channel: its name, and whether the bot is in it.

The admin asks before it keeps settings for a channel, so that a mistyped id, or a channel the bot
was never invited to, is refused on the form rather than found out when nobody is answered there.
Slack answers `conversations.info` for public channels with the `channels:read` scope, and for
private ones the bot is in with `groups:read`; to the bot, a private channel it is not in does not
exist.
"""

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from slack import chat
from slack.web_client import build_web_client


@dataclass(frozen=True, kw_only=True)
class SlackChannel:
    name: str
    bot_is_member: bool


class ChannelNotFound(Exception):
    """Slack has no such channel in the workspace, or it is private and the bot is not in it."""


class UnableToAskSlack(Exception):
    """Slack could not be reached, or refused to say (a bad token, a missing scope)."""


async def read_channel(*, channel_id: str) -> SlackChannel:
    """The channel's name, as Slack gives it now, and whether the bot is a member.

    Raises: ChannelNotFound, UnableToAskSlack.
    """
    try:
        response = await build_web_client().conversations_info(channel=channel_id)
    except SlackApiError as error:
        reason = chat.failure_reason(error)
        if reason == "channel_not_found":
            raise ChannelNotFound(f"Slack has no channel {channel_id}") from None
        data = error.response.data
        needed = data.get("needed") if isinstance(data, dict) else None
        scopes = f", the app needs {needed}" if needed else ""
        raise UnableToAskSlack(f"Slack refused to say ({reason}{scopes})") from None
    except chat.SLACK_FAILURES as error:
        raise UnableToAskSlack(
            f"Slack could not be reached ({chat.failure_reason(error)})"
        ) from None
    channel = response["channel"]
    return SlackChannel(name=str(channel["name"]), bot_is_member=bool(channel.get("is_member")))
