"""Roles and scopes from claims, and scope applied to the frame, filters, imports and batches.

Expected figures are added up by hand from tests/fixtures/app_operations.csv (21 rows):
Europe = ESP, FRA, DEU, ITA (11 rows, 49 arrests); Africa = NGA, KEN, GHA (6 rows).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ocops import queries
from ocops.auth import (
    EVERYTHING,
    NO_COUNTRY,
    Identity,
    Scope,
    batch_countries,
    identity_from_claims,
    is_loopback,
    may_remove,
    refusal,
    reject_out_of_scope,
    scope_filter,
    scope_frame,
    session_expired,
    visible_batches,
)
from ocops.config import AuthSettings, load_settings
from ocops.errors import ConfigError
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_bytes, import_path, list_batches

FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
EUROPE = frozenset({"ESP", "FRA", "DEU", "ITA"})
CONFIG = AuthSettings()


def test_roles_and_scope_from_default_claims(countries: CountryIndex) -> None:
    viewer = identity_from_claims({"sub": "u1", "email": "ana@example.org", "roles": ["viewer"],
                                   "regions": ["Europe"]}, CONFIG, countries)
    assert viewer.user == "ana@example.org" and viewer.role == "viewer"
    assert viewer.scope is not None and viewer.scope.labels == ("Europe",)
    assert viewer.scope.countries is not None and {"FRA", "DEU", "ESP", "ITA"} <= viewer.scope.countries
    assert not viewer.scope.allows("NGA")
    assert viewer.can("view") and not viewer.can("export") and not viewer.can("upload")

    officer = identity_from_claims({"sub": "u2", "roles": "analyst, data_officer", "countries": "Kenya,NGA"},
                                   CONFIG, countries)
    assert officer.user == "u2" and officer.role == "data officer"  # the highest recognised role
    assert officer.scope == Scope(frozenset({"KEN", "NGA"}), ("Kenya", "Nigeria"))
    assert officer.can("upload") and officer.can("export") and not officer.can("audit")


def test_admin_sees_everything_and_unknown_values_grant_nothing(countries: CountryIndex) -> None:
    admin = identity_from_claims({"sub": "root", "roles": ["admin"]}, CONFIG, countries)
    assert admin.scope is EVERYTHING and admin.can("audit")
    nobody = identity_from_claims({"sub": "x", "roles": ["superuser"], "regions": ["Europe"]}, CONFIG, countries)
    assert nobody.role is None and not nobody.allowed and not nobody.can("view")
    unscoped = identity_from_claims({"sub": "y", "roles": ["viewer"], "regions": ["Atlantis"]}, CONFIG, countries)
    assert unscoped.scope is None and not unscoped.allowed
    everywhere = identity_from_claims({"sub": "z", "roles": ["viewer"], "regions": ["*"]}, CONFIG, countries)
    assert everywhere.scope is EVERYTHING


def test_keycloak_style_nested_claims_and_value_tables(countries: CountryIndex) -> None:
    config = load_settings(env={"OCOPS_ROLES_CLAIM": "realm_access.roles", "OCOPS_REGIONS_CLAIM": "groups",
                                "OCOPS_ROLE_VALUES": '{"ocops-analyst": "analyst"}',
                                "OCOPS_SCOPE_VALUES": '{"/ocops/africa": "Africa", "/ocops/france": "FRA"}',
                                "OCOPS_SESSION_MAX_AGE_HOURS": "8"}).auth
    claims = {"sub": "k1", "email": "k@example.org", "realm_access": {"roles": ["offline_access", "ocops-analyst"]},
              "groups": ["/ocops/africa", "/ocops/france"], "iat": 1_700_000_000}
    who = identity_from_claims(claims, config, countries)
    assert who.role == "analyst" and who.scope is not None and who.scope.labels == ("Africa", "France")
    assert who.scope.allows("NGA") and who.scope.allows("FRA") and not who.scope.allows("DEU")
    signed_in = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert who.signed_in_at == signed_in
    assert not session_expired(who, config, signed_in + dt.timedelta(hours=8))
    assert session_expired(who, config, signed_in + dt.timedelta(hours=8, seconds=1))
    assert session_expired(who, AuthSettings(), signed_in + dt.timedelta(hours=12, seconds=1))


def test_bad_claim_settings_say_what_to_write() -> None:
    with pytest.raises(ConfigError, match="role_values names unknown roles \\(boss\\)"):
        load_settings(env={"OCOPS_ROLE_VALUES": '{"x": "boss"}'})
    with pytest.raises(ConfigError, match="OCOPS_SESSION_MAX_AGE_HOURS must be a positive number"):
        load_settings(env={"OCOPS_SESSION_MAX_AGE_HOURS": "0"})


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback(None)
    assert not is_loopback("192.168.1.5")
    assert "server.address is 0.0.0.0" in refusal("0.0.0.0") and "[auth]" in refusal("0.0.0.0")


def _loaded(engine: Engine, vocabulary: Vocabulary) -> None:
    assert import_path(engine, FIXTURE, vocabulary).imported == 21


def test_scope_frame_and_filter_hold_only_scoped_records(engine: Engine, vocabulary: Vocabulary,
                                                         countries: CountryIndex) -> None:
    _loaded(engine, vocabulary)
    europe = Scope(EUROPE, ("Europe",))
    frame = scope_frame(queries.load_frame(engine), europe)
    assert len(frame) == 11 and int(frame["arrests"].sum()) == 49
    assert sorted(frame["country"].cat.categories) == ["DEU", "ESP", "FRA", "ITA"]
    # operations with only African/American rows are gone from the options (Sea Shield: NGA only)
    assert "Operation Sea Shield" not in set(frame["operation"].cat.categories)
    # a filter for Africa on the scoped frame selects nothing
    assert queries.select(frame, queries.Filter(regions=("Africa",)), countries).empty
    # direct reads get the scope passed: an export for NGA returns no rows, one for all returns Europe's
    assert scope_filter(queries.Filter(countries=("NGA",)), europe).countries == (NO_COUNTRY,)
    assert len(queries.records(engine, scope_filter(queries.Filter(countries=("NGA",)), europe), countries)) == 0
    rows = queries.records(engine, scope_filter(queries.Filter(), europe), countries)
    assert sorted(set(rows["country"])) == ["DEU", "ESP", "FRA", "ITA"] and len(rows) == 11
    assert scope_filter(queries.Filter(countries=("FRA", "NGA")), europe).countries == ("FRA",)


def test_import_outside_scope_rejects_rows_with_a_reason(engine: Engine, vocabulary: Vocabulary) -> None:
    data = (b"operation,date,country,crime_area,arrests\n"
            b"Op A,2020-01-01,France,Drug trafficking,1\n"
            b"Op A,2020-01-01,Nigeria,Drug trafficking,2\n"
            b"Op A,2020-01-02,DEU,Drug trafficking,3\n")
    europe = Scope(EUROPE, ("Europe",))
    report = import_bytes(engine, data, "mixed.csv", vocabulary, user="officer@example.org",
                          restrict=lambda prepared: reject_out_of_scope(prepared, europe))
    assert (report.imported, report.rejected) == (2, 1)
    [error] = report.errors
    assert (error.row, error.column, error.value) == (2, "country", "Nigeria")
    assert error.message == ("Nigeria is outside your scope (Europe): only a user whose scope holds Nigeria "
                             "can import this row.")
    assert queries.load_frame(engine)["arrests"].sum() == 4  # 1 + 3


def test_upload_history_and_removal_follow_the_scope(engine: Engine, vocabulary: Vocabulary) -> None:
    _loaded(engine, vocabulary)  # batch 1: Europe, Africa, Americas, Asia
    import_bytes(engine, b"operation,date,country,crime_area\nOp B,2020-01-01,Italy,Drug trafficking\n",
                 "italy.csv", vocabulary)
    import_bytes(engine, b"operation,date,country,crime_area\nOp C,2020-01-01,Kenya,Drug trafficking\n",
                 "kenya.csv", vocabulary)
    written = batch_countries(engine)
    assert written[2] == {"ITA"} and written[3] == {"KEN"}
    europe = Scope(EUROPE, ("Europe",))
    shown = [b["filename"] for b in visible_batches(list_batches(engine), written, europe)]
    assert shown == ["italy.csv", "app_operations.csv"]
    assert may_remove(2, written, europe) and not may_remove(1, written, europe) and not may_remove(3, written, europe)
    assert may_remove(1, written, EVERYTHING)


def test_identity_audit_form() -> None:
    who = Identity("a@example.org", "viewer", Scope(frozenset({"FRA"}), ("France",)))
    assert who.to_dict() == {"role": "viewer", "scope": "France"}
    assert Identity("b", None, None).to_dict() == {"role": None, "scope": None}
