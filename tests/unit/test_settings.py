import subprocess
import sys
from pathlib import Path

import pytest

from portal.settings import ConfigError, load_settings


def test_defaults_use_sqlite_under_var_and_generate_a_secret(tmp_path):
    settings = load_settings({"PORTAL_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    assert len(settings.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings({"PORTAL_VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key


@pytest.mark.parametrize("name, value, words", [
    ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL must be"),
    ("DATABASE_URL", "postgresql://", "DATABASE_URL must be"),
    ("BASE_URL", "poli.example.it", "BASE_URL must be"),
    ("SECRET_KEY", "short", "at least 32"),
    ("SMTP_URL", "mail.example.it:25", "SMTP_URL must start with smtp://"),
    ("REDIS_URL", "http://localhost", "REDIS_URL must start with redis://"),
    ("METRICS_ALLOW", "127.0.0.1,prometheus", "METRICS_ALLOW must list addresses"),
    ("METRICS_TOKEN", "short", "at least 16"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of text, json"),
    ("RETENTION_BOOKINGS_MONTHS", "0", "RETENTION_BOOKINGS_MONTHS must be a whole number"),
    ("RETENTION_AUDIT_YEARS", "five", "RETENTION_AUDIT_YEARS must be a whole number"),
])
def test_bad_values_are_explained(tmp_path, name, value, words):
    with pytest.raises(ConfigError, match=words):
        load_settings({"PORTAL_VAR_DIR": str(tmp_path), name: value})


def test_the_command_stops_with_one_clear_line(tmp_path):
    portal = Path(sys.executable).parent / "portal"
    result = subprocess.run(
        [str(portal), "migrate"], capture_output=True, text=True,
        env={"PORTAL_VAR_DIR": str(tmp_path), "DATABASE_URL": "oracle://db"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL must be" in result.stderr and "Traceback" not in result.stderr


def test_production_settings_are_read(tmp_path):
    settings = load_settings({"PORTAL_VAR_DIR": str(tmp_path), "METRICS_ALLOW": "10.0.0.0/8, 192.168.1.5",
                              "LOG_FORMAT": "json", "RETENTION_BOOKINGS_MONTHS": "36", "REDIS_PREFIX": "comune:"})
    assert settings.metrics_allow == ("10.0.0.0/8", "192.168.1.5") and settings.metrics_token is None
    assert settings.log_format == "json" and settings.retention_bookings_months == 36
    assert settings.redis_prefix == "comune:" and settings.retention_audit_years == 5
