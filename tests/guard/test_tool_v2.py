"""``tool`` v2 (issue 12, families 7 and 8): unknown products, CI/CD, and versions glued to names.

The vocabulary cannot list every product: a capitalised name in a tool context ("using X", "via X",
"built on X", "powered by X", "X-based", "on X" for platforms, "with X" when X is no person) that the
input does not use is a ``tool`` violation. People, months, teams and names the input itself uses are
no inventions. "CI/CD" and its spellings are a technology term. "JDK17" reads as "JDK 17".
"""

from __future__ import annotations

import pytest

from tests.guard.guardkit import explain, run

REJECT = [
    pytest.param(
        "built the admin console for support agents",
        "Built the admin console for support agents using Appsmith.",
        "Appsmith",
        id="using-an-unlisted-product",
    ),
    pytest.param("wrote the webhook relay", "Wrote a webhook relay via Hookdeck.", "Hookdeck", id="via-a-product"),
    pytest.param("wrote the event api", "Wrote the event API, powered by Tinybird.", "Tinybird", id="powered-by"),
    pytest.param(
        "built the job scheduler", "Built a Hatchet-based job scheduler.", "Hatchet", id="product-based-adjective"
    ),
    pytest.param("rebuilt our docs site", "Rebuilt the docs site on Mintlify.", "Mintlify", id="on-a-platform"),
    pytest.param(
        "built the status page", "Built the status page with Statuspal dashboards.", "Statuspal", id="with-a-product"
    ),
    pytest.param("set up alerting", "Set up alerting with OpsGenie.", "OpsGenie", id="with-a-camel-case-product"),
    pytest.param(
        "built the reporting job", "Built the reporting job on top of Nimbus Deploy.", "Nimbus Deploy", id="two-words"
    ),
    pytest.param(
        "automated the api deploys with a bash script run from cron",
        "Automated API deploys with a CI/CD pipeline.",
        "CI/CD",
        id="ci-cd-is-a-technology-term",
    ),
    pytest.param("set up the pipeline for the api", "Set up CICD for the API.", "CICD", id="cicd-spelling"),
    pytest.param(
        "ported the cron scripts to python 3.11",
        "Ported the cron scripts to Python3.11 and Go1.21.",
        "Go",
        id="glued-version-of-an-unnamed-language",
    ),
    pytest.param("ported the scripts to python 3", "Ported the scripts to Python3 and Node18.", "Node", id="node18"),
]

ACCEPT = [
    pytest.param("built the admin console with Dana", "Built the admin console with Dana.", id="with-a-person"),
    pytest.param("built the admin console", "Built the admin console with Priya.", id="with-a-person-not-in-notes"),
    pytest.param(
        # a team the notes name (one they do not name is a reach claim: tests/guard/test_scope_v2.py)
        "built the admin console with the platform team",
        "Built the admin console with the Platform team.",
        id="with-a-capitalised-team",
    ),
    pytest.param("shipped the admin console in march", "Shipped the admin console in March.", id="a-month"),
    pytest.param("shipped the release on monday", "Shipped the release on Monday.", id="on-a-weekday"),
    pytest.param(
        "built the atlas rollout tooling using atlas", "Built the Atlas rollout tooling using Atlas.", id="input-name"
    ),
    pytest.param(
        "built the status page using statuspal", "Built the status page using Statuspal.", id="product-in-notes"
    ),
    pytest.param("set up ci/cd for the api", "Set up CI/CD for the API.", id="ci-cd-in-both"),
    pytest.param("set up cicd for the api", "Set up CI / CD for the API.", id="ci-cd-spellings"),
    pytest.param("set up jenkins for the api", "Set up CI/CD for the API with Jenkins.", id="jenkins-is-ci-cd"),
    pytest.param(
        "set up CI-CD for the ledger service (gitlab)",
        "Built a GitLab CI/CD pipeline for the ledger service.",
        id="gitlab-and-ci-cd-make-gitlab-ci",
    ),
    pytest.param("upgraded the build to Java17", "Upgraded the build to Java 17.", id="java17-is-java-17"),
    pytest.param("upgraded the build to JDK 17", "Upgraded the build to JDK17.", id="jdk-17-is-jdk17"),
    pytest.param("moved to Python3.11", "Moved to Python 3.11.", id="python3-11"),
    pytest.param("I upgraded billing from Java8 to Java17", "Upgraded billing from Java 8 to Java 17.", id="java8"),
    pytest.param(
        "migrated the image builds to an ubuntu22.04 base", "Migrated image builds to Ubuntu 22.04.", id="ubuntu"
    ),
    pytest.param("deployed it to EC2 and S3", "Deployed it to EC2 and S3.", id="names-with-digits-are-not-split"),
]


@pytest.mark.parametrize(("notes", "bullet", "span"), REJECT)
def test_unnamed_products_and_terms_are_refused(notes: str, bullet: str, span: str) -> None:
    result = run(notes, bullet)
    tools = [v.text for v in result.violations if v.kind == "tool"]
    assert span in tools, explain(result)
    for v in result.violations:
        assert v.text == bullet[v.start : v.end], explain(result)


@pytest.mark.parametrize(("notes", "bullet"), ACCEPT)
def test_people_months_teams_and_named_products_are_accepted(notes: str, bullet: str) -> None:
    result = run(notes, bullet)
    assert result.accepted, explain(result)
