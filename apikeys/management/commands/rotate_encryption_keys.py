"""Re-encrypt every encrypted column under the first FERNET_KEYS entry.

Works in primary-key batches, each in its own transaction, and skips tokens the first
key already opens, so an interrupted run can simply be started again. A token that no
configured key opens stops the run with the error naming FERNET_KEYS and is left as is.
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apikeys import crypto
from apikeys.fields import Ciphertext
from apikeys.models import PlatformApiKey, ServiceApiKey

# Every encrypted column (fields.EncryptedTextField) of the project; tests/apikeys/test_rotation.py
# checks this list against the models.
ENCRYPTED_COLUMNS = {PlatformApiKey: ("key_encrypted",), ServiceApiKey: ("key_encrypted",)}


def encrypted_fields():
    for model, names in ENCRYPTED_COLUMNS.items():
        yield model, [getattr(model, name).field for name in names]


class Command(BaseCommand):
    help = "Re-encrypt all stored secrets under the first key in FERNET_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        for model, fields in encrypted_fields():
            label = f"apikeys.{model.__name__}"
            total = model.objects.count()
            done = rotated = 0
            last_pk = None
            while True:
                batch = model.objects.order_by("pk")
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                batch = list(batch.only("pk", *[f.name for f in fields])[:batch_size])
                if not batch:
                    break
                with transaction.atomic():
                    for row in batch:
                        rotated += self._rotate_row(model, row, fields)
                done += len(batch)
                last_pk = batch[-1].pk
                self.stdout.write(f"{label}: {done}/{total} rows checked, {rotated} re-encrypted")
            if total == 0:
                self.stdout.write(f"{label}: nothing to do")
        self.stdout.write(self.style.SUCCESS("Every encrypted value now uses the first FERNET_KEYS entry."))

    def _rotate_row(self, model, row, fields) -> int:
        changes, seen = {}, {}
        for field in fields:
            token = field.raw_token(row)
            if token is None or crypto.is_current(token):
                continue
            try:
                changes[field.attname] = crypto.reencrypt(token)
            except crypto.UndecryptableSecret as exc:
                raise CommandError(f"apikeys.{model.__name__} row {row.pk}: {exc}") from None
            seen[field.attname] = Ciphertext(token)
        if not changes:
            return 0
        # Write the new tokens as-is (Ciphertext: already encrypted, not plaintext), and
        # only where the row still holds the tokens read above: a key regenerated since
        # then is already under the first key and must not get the old secret back.
        return model.objects.filter(pk=row.pk, **seen).update(
            **{name: Ciphertext(token) for name, token in changes.items()}
        )
