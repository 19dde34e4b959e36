"""Which channel settings apply where a question is asked.

Every event a channel's settings decide is looked up here, the acknowledgement's path included, so
the settings are read in one query and held by the process for a short while: a change saved in
this process applies at once (saving forgets what is held), one saved by another process within
`HELD_FOR_S`. A channel without settings of its own gets the default's, as direct messages do;
where the default is not set, the bot answers mentions everywhere, from every collection.
`SLACK_ALLOWED_CHANNELS`, from before settings could be kept per channel, still closes the other
channels of the default to the bot, with a note.
"""

import dataclasses
import time
from dataclasses import dataclass

from django.conf import settings

from domain import queries, records

# How long a process trusts the settings it read.
HELD_FOR_S = 15.0


@dataclass(frozen=True, kw_only=True)
class _Held:
    by_channel: dict[str, records.ChannelSettings]
    read_at: float


_held: _Held | None = None
# Counts the changes this process saved, so a read begun before one is not held after it.
_changes = 0


async def settings_for(*, channel_id: str) -> records.ChannelSettings:
    """The settings that apply in the channel (a direct message's id starts with `D`; the empty
    id gives the default's). A channel off a non-empty `SLACK_ALLOWED_CHANNELS` that has no
    settings of its own is closed, with a note."""
    by_channel = await _settings_by_channel()
    if channel_id in by_channel:
        return by_channel[channel_id]
    default = by_channel.get("", records.ChannelSettings())
    allow_list = settings.SLACK_ALLOWED_CHANNELS
    if (
        channel_id
        and allow_list
        and not channel_id.startswith("D")
        and channel_id not in allow_list
    ):
        return dataclasses.replace(default, enabled=False, note_when_disabled=True)
    return default


def forget_held_settings() -> None:
    """Read the settings again at the next question: they were just changed."""
    global _held, _changes
    _held = None
    _changes += 1


async def _settings_by_channel() -> dict[str, records.ChannelSettings]:
    global _held
    if _held is not None and time.monotonic() - _held.read_at <= HELD_FOR_S:
        return _held.by_channel
    changes, read_at = _changes, time.monotonic()
    listed = await queries.list_channel_settings()
    by_channel = {settings.channel_id: settings for settings in listed}
    if changes == _changes:
        _held = _Held(by_channel=by_channel, read_at=read_at)
    return by_channel
