"""The database: tables and response schemas, the session dependency, pagination."""
