"""`field__any_of=[...]`: membership in a long list of values, as one array parameter on PostgreSQL.

`field__in=[...]` sends one placeholder per value. For the nightly pull's page lookups (a couple of thousand
DMS numbers or ids at a time) building, splitting and planning those statements cost more than the lookups:
Django resolves each value, psycopg re-parses every statement longer than its cache allows, PostgreSQL parses
thousands of constants. `= ANY(%s)` with the list as one array parameter does the same work in one value. Other
backends get the plain `IN (...)` (SQLite has no arrays).
"""

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


@ForeignObject.register_lookup  # foreign keys keep their own lookups
@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            return "FALSE", ()
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
