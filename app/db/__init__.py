"""The database: tables and response schemas, engine and session factory, pagination."""
