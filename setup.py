"""Packaging beyond what pyproject.toml can say: the Alembic migrations, kept at the top of the
source tree, are installed inside the package as ``app.migrations`` so that a plain
``pip install .`` can migrate (``app.db.migrations.migrations_dir``)."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["app", "app.*"]),
        "app.migrations",
        "app.migrations.versions",
    ],
    package_dir={"app.migrations": "migrations"},
    package_data={"app.migrations": ["script.py.mako"]},
)
