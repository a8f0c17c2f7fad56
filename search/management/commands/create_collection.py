"""Upload the archive's Solr configset and create its collection on a SolrCloud."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from solr.cloud import (
    SolrCloudError,
    collections,
    create_collection,
    reload_collection,
    upload_configset,
)


class Command(BaseCommand):
    help = (
        "Upload solr/configset to the SolrCloud of SOLR_URLS and create the SOLR_COLLECTION "
        "collection (or, when it exists, load the uploaded configset into it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--shards", type=int, default=2)
        parser.add_argument("--replicas", type=int, default=2, help="copies of each shard")

    def handle(self, *args, shards: int, replicas: int, **options):
        if not settings.SOLR_URLS:
            raise CommandError("Set SOLR_URLS to a node's base URL (http://host:8983/solr).")
        if shards < 1 or replicas < 1:
            raise CommandError("--shards and --replicas are at least 1.")
        node, name = settings.SOLR_URLS[0], settings.SOLR_COLLECTION
        try:
            upload_configset(node)
            if name in collections(node):
                reload_collection(node, name)
                self.stdout.write(f"Collection {name!r} exists; its configset was reloaded.")
                return
            create_collection(node, name, shards, replicas)
        except SolrCloudError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Created collection {name!r}: {shards} shards x {replicas} replicas. Index the "
            "archive into it with: python manage.py check_index --rebuild"
        )
