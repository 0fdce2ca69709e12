"""The API client's tests run against one backend: they test the client, not the storage."""

from tests.support.databases import sqlite_database_url

database_url = sqlite_database_url
