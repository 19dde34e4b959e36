"""Indexed documentation in the admin: documents and their passages, as their sources gave them
(a source's page syncs it again), and how far search by meaning reaches."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from agents import embeddings
from data import models
from kraken_bot.admin import counts


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin[models.Document]):
    list_display = ("path", "collection", "title", "passage_count", "indexed_at")
    list_filter = ("collection",)
    search_fields = ("path", "title")
    ordering = ("collection", "path")
    readonly_fields = ("collection", "path", "url", "title", "checksum", "indexed_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Document]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                passages_indexed=counts.related_count(
                    models.Passage.objects.all(), pointing_through="document"
                )
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Documents come from their sources."""
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request, extra_context={**(extra_context or {}), "subtitle": _embedded()}
        )

    @admin.display(description="passages", ordering="passages_indexed")
    def passage_count(self, document: models.Document) -> int:
        return int(getattr(document, "passages_indexed", 0))


def _embedded() -> str:
    """How far search by meaning reaches: the passages the embedding model has a vector of."""
    embedder = embeddings.configured_embedder()
    if embedder is None:
        return "Search by words alone: no embedding model (EMBEDDING_MODEL=none)."
    embedded = models.PassageVector.objects.filter(model=embedder.name).count()
    return (
        f"Passages embedded with {embedder.name}: {embedded:,} of "
        f"{models.Passage.objects.count():,}."
    )


@admin.register(models.Passage)
class PassageAdmin(admin.ModelAdmin[models.Passage]):
    list_display = ("document", "position", "heading", "collection", "indexed_at")
    list_filter = ("document__collection",)
    search_fields = ("heading", "text")
    ordering = ("document_id", "position")
    list_select_related = ("document",)
    readonly_fields = ("document", "position", "heading", "text", "checksum", "indexed_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="collection", ordering="document__collection")
    def collection(self, passage: models.Passage) -> str:
        return passage.document.collection
