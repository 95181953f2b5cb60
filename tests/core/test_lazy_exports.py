"""Packages that import their public names on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import muskox
import muskox.declare
import muskox_clickhouse.local


def test_names_resolve_to_their_modules_objects() -> None:
    from muskox.declare.olap_table import OlapTable
    from muskox_clickhouse.local.launcher import LocalClickHouse

    assert muskox.OlapTable is OlapTable is muskox.declare.OlapTable
    assert muskox_clickhouse.local.LocalClickHouse is LocalClickHouse
    assert "OlapTable" in dir(muskox)


@pytest.mark.parametrize("package", [muskox, muskox.declare, muskox_clickhouse.local])
def test_an_unknown_name_is_an_attribute_error_naming_the_package(package: object) -> None:
    with pytest.raises(AttributeError, match=rf"module '{package.__name__}' has no attribute 'nope'"):  # type: ignore[attr-defined]
        package.nope  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_packages_loads_none_of_their_names() -> None:
    code = ("import sys, muskox, muskox.declare, muskox_clickhouse.local; "
            "print(sorted(m for m in ('muskox.declare.olap_table', 'muskox_clickhouse.local.launcher', 'pydantic') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
