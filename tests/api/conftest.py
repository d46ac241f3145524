"""A real server with the demo organization, for the tests that use the API from outside, as a script would."""

import pytest

from tests.real_server import fresh_database_url, production_env, run_setup, serving

DEMO_WITH_A_TOKEN = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("demo", verbosity=0)
from retrospector.accounts.models import User
from retrospector.accounts.services import token_create
_, raw = token_create(user=User.objects.get(username="alice"), name="contract")
print(json.dumps({"token": raw}))
"""


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """`retrospector serve` on a database of its own (SQLite, or a new PostgreSQL database on a PostgreSQL run) with
    the demo loaded, and a token of alice, the demo's organization admin. Wrong tokens are not throttled: Schemathesis
    sends some on purpose (it checks that they are refused), far more than a person would."""
    root = tmp_path_factory.mktemp("demo-server")
    var_dir = root / "var"
    var_dir.mkdir()
    with fresh_database_url(root) as database_url:
        env = production_env(var_dir, database_url, LOGIN_THROTTLE_FREE_TRIES_PER_ADDRESS="1000000")
        data = run_setup(env, DEMO_WITH_A_TOKEN)
        with serving(env, root / "server.log") as server:
            yield {"base": server.base, "token": data["token"], "server": server, "root": root}
