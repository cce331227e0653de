"""The deployment files say what the README promises."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_postgres_and_the_service() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, app = compose["services"]["db"], compose["services"]["app"]
    assert int(db["image"].split(":")[1]) >= 15
    assert "healthcheck" in db and "healthcheck" in app
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    # The schema is migrated and the service's role granted by the owner first; the service
    # connects as a role that can neither own the tables nor switch their triggers off.
    migrate = compose["services"]["migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "stanceline migrate && stanceline grant stanceline_app" in migrate["command"][-1]
    assert "//stanceline_owner:" in migrate["environment"]["STANCELINE_DATABASE_URL"]
    assert app["environment"]["STANCELINE_DATABASE_URL"].startswith(
        "postgresql+psycopg://stanceline_app:")
    assert "POSTGRES_USER" not in db["environment"]
    assert app["build"] == "."
    # `serve` on 0.0.0.0 refuses open writes: the compose file must configure a token.
    assert app["environment"]["STANCELINE_API_TOKENS"]
    assert '"stanceline", "serve", "--host", "0.0.0.0"' in (ROOT / "Dockerfile").read_text()


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = ci.strip().splitlines()[-1]
    assert command in readme
    assert "STANCELINE_TEST_DATABASE_URL" in ci and "STANCELINE_REQUIRE_POSTGRES=1" in ci


def test_compose_puts_nginx_in_front_with_the_projects_cache_rules() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    cache = compose["services"]["cache"]
    assert cache["image"].startswith("nginx:")
    assert cache["depends_on"]["app"]["condition"] == "service_healthy"
    mounted = cache["volumes"][0].split(":")[0]
    assert mounted == "./deploy/nginx.conf" and (ROOT / mounted).is_file()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for rule in ("server app:8000;", "proxy_cache_revalidate on;", "location = /api/live",
                 "proxy_cache off;"):
        assert rule in conf, rule
