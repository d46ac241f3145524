"""PostgreSQL for the test run: Django's own backend, except how a transactional test (transaction=True, the browser
tests' live server) empties the tables afterwards. Django's flush is one TRUNCATE of every table, which makes new files
for each table and index (about 70 tables here): a fraction of a second on an idle machine, seconds on a busy one, after
each such test. Deleting the rows of tables that hold a few is quicker. Django makes every foreign key DEFERRABLE
INITIALLY DEFERRED, so the rows go in any order and the keys are checked when the flush commits, with nothing left to
point at. Sequences are left alone, as TRUNCATE without RESTART IDENTITY leaves them. Only the test settings use it
(tests/settings.py); the product and the servers the tests start run Django's backend."""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
