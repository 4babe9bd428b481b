"""Planning layers: schema, registry and the SQL that reads them."""
