"""Indexed documentation in the admin: documents and their passages, and re-indexing a collection
from its folder. Re-indexing a large folder takes longer than a request should, so it runs as a
job (`kraken_bot.tasks.reindex_collection`); its run records how it ended, listed under "Indexing
runs"."""

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from agents import embeddings
from data import models
from kraken_bot import tasks
from kraken_bot.admin import counts
from kraken_bot.admin.read_only import RecordAdmin


class ReindexForm(forms.Form):
    folder = forms.CharField(
        label="Folder on the server",
        help_text="The folder the collection was indexed from, e.g. /srv/handbook or docs.",
    )
    base_url = forms.CharField(
        label="Base URL",
        required=False,
        help_text="Links each document for citations (https://docs.example.com/handbook).",
    )
    prune = forms.BooleanField(
        label="Remove even most documents",
        required=False,
        help_text="Without it, a folder that holds less than half of the collection's documents "
        "(an empty folder, another one) is refused.",
    )

    def clean_folder(self) -> str:
        folder = str(self.cleaned_data["folder"])
        if not Path(folder).is_dir():
            raise forms.ValidationError(f"No folder to index at {folder}")
        return folder

    def clean_base_url(self) -> str:
        base_url = str(self.cleaned_data["base_url"])
        if base_url and not base_url.startswith(("http://", "https://")):
            raise forms.ValidationError("The base URL must start with http:// or https://")
        return base_url


@admin.action(description="Re-index the collection from its folder", permissions=["change"])
def reindex_collection(
    modeladmin: admin.ModelAdmin[models.Document],
    request: HttpRequest,
    queryset: QuerySet[models.Document],
) -> TemplateResponse | None:
    collections = sorted(set(queryset.values_list("collection", flat=True)))
    if len(collections) != 1:
        modeladmin.message_user(
            request, "Select documents of one collection to re-index it.", messages.ERROR
        )
        return None
    [collection] = collections
    form = ReindexForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        _reindex(modeladmin, request, collection=collection, **form.cleaned_data)
        return None
    example = queryset.exclude(url="").only("path", "url").first()
    base_url = example.url.removesuffix(example.path).rstrip("/") if example else ""
    return TemplateResponse(
        request,
        "admin/kraken/reindex.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": f"Re-index the collection {collection}",
            "collection": collection,
            "form": form if form.is_bound else ReindexForm(initial={"base_url": base_url}),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action": "reindex_collection",
            "opts": modeladmin.model._meta,
        },
    )


def _reindex(
    modeladmin: admin.ModelAdmin[models.Document],
    request: HttpRequest,
    *,
    collection: str,
    folder: str,
    base_url: str,
    prune: bool,
) -> None:
    # Imported here, not with the admin: mypy's Django plugin loads the admin with site-packages
    # first on the path, where slack_sdk's deprecated `slack` would be found.
    from slack import jobs

    with transaction.atomic():
        run = models.IndexingRun.objects.create(
            collection=collection,
            folder=folder,
            base_url=base_url,
            prune=prune,
            requested_by=request.user.get_username(),
            requested_at=timezone.now(),
        )
        jobs.with_the_transaction(lambda: tasks.reindex_collection.defer(run_id=run.pk))
    modeladmin.message_user(
        request,
        format_html(
            'Re-indexing {} from {}: <a href="{}">its run</a> says how it ends.',
            collection,
            folder,
            reverse("admin:data_indexingrun_change", args=[run.pk]),
        ),
        messages.SUCCESS,
    )


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin[models.Document]):
    list_display = ("path", "collection", "title", "passage_count", "indexed_at")
    list_filter = ("collection",)
    search_fields = ("path", "title")
    ordering = ("collection", "path")
    actions = (reindex_collection,)
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
        """Documents come from indexing a folder."""
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


@admin.register(models.IndexingRun)
class IndexingRunAdmin(RecordAdmin, admin.ModelAdmin[models.IndexingRun]):
    list_display = (
        "collection",
        "folder",
        "outcome",
        "requested_by",
        "requested_at",
        "finished_at",
    )
    list_filter = ("outcome", "collection")
    ordering = ("-requested_at", "-id")
    fields = (
        "collection",
        "folder",
        "base_url",
        "prune",
        "requested_by",
        "requested_at",
        "outcome",
        "finished_at",
        "summary",
    )
    readonly_fields = fields
