"""The reader of each kind of documentation source, built from a source's settings: the one place
that knows every adapter. Secrets come from the environment variables a source names, read when
it syncs, so that none is stored in the database or shown in the admin."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from application import index_documents, source_ports
from domain import records

# What each kind needs in its options, and the secrets it reads, by role.
REQUIRED_OPTIONS: dict[records.SourceKind, tuple[str, ...]] = {
    records.SourceKind.CONFLUENCE: ("space",),
}
CREDENTIALS: dict[records.SourceKind, tuple[str, ...]] = {
    records.SourceKind.CONFLUENCE: ("email", "token"),
    records.SourceKind.NOTION: ("token",),
}


def reader_for(source: records.Source) -> source_ports.SourceReader:
    """The reader of the source, with its secrets.

    Raises: source_ports.SourceUnavailable (a secret's variable is not set), and the folder's
    index_documents.InvalidBaseUrl.
    """
    options = source.options
    secrets = _secrets(source)
    limits = source_ports.SyncLimits(max_documents=settings.SYNC_MAX_DOCUMENTS)
    match source.kind:
        case records.SourceKind.FOLDER:
            return index_documents.FolderSource(
                root=Path(source.location),
                base_url=str(options.get("base_url", "")),
                include=_patterns(options, "include"),
                exclude=_patterns(options, "exclude"),
                max_documents=limits.max_documents,
            )
        case records.SourceKind.GIT:
            from kraken_bot.adapters import git_source

            return git_source.GitSource(
                location=source.location,
                branch=str(options.get("branch", "")),
                cache_dir=settings.SOURCES_CACHE_DIR,
                base_url=str(options.get("base_url", "")),
                include=_patterns(options, "include"),
                exclude=_patterns(options, "exclude"),
                limits=limits,
            )
        case records.SourceKind.WEBSITE:
            from kraken_bot.adapters import website_source

            return website_source.WebsiteSource(
                start_url=source.location,
                include=_patterns(options, "include"),
                exclude=_patterns(options, "exclude"),
                limits=limits,
            )
        case records.SourceKind.CONFLUENCE:
            from kraken_bot.adapters import confluence_source

            return confluence_source.ConfluenceSource(
                base_url=source.location,
                space=str(options["space"]),
                email=secrets["email"],
                token=secrets["token"],
                limits=limits,
            )
        case records.SourceKind.NOTION:
            from kraken_bot.adapters import notion_source

            return notion_source.NotionSource(
                api_url=str(options.get("api_url", "https://api.notion.com")),
                root_id=source.location,
                root_kind=str(options.get("root_kind", "page")),
                token=secrets["token"],
                limits=limits,
            )


def _secrets(source: records.Source) -> dict[str, str]:
    """Each secret the kind needs, from the variable the source names for it.

    Raises: source_ports.SourceUnavailable.
    """
    found: dict[str, str] = {}
    for role in CREDENTIALS.get(source.kind, ()):
        variable = source.credentials.get(role, "")
        if not variable:
            raise source_ports.SourceUnavailable(
                f"No variable named for the {role}: add it with --credential {role}=VARIABLE"
            )
        value = os.environ.get(variable, "")
        if not value:
            raise source_ports.SourceUnavailable(f"{variable} (the {role}) is not set")
        found[role] = value
    return found


def _patterns(options: Mapping[str, Any], name: str) -> list[str]:
    """The globs of an option: a list of them, or one alone (as an owner may type it in the
    admin's options)."""
    value = options.get(name) or []
    return [value] if isinstance(value, str) else [str(pattern) for pattern in value]
